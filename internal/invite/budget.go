package invite

import (
	"bytes"
	"context"
	"fmt"
	"text/template/parse"
	"time"
)

// The budget of custom templates. A template is checked against it on its
// parse tree when it is saved (and whenever it is compiled): its size, how
// deeply its actions nest, and the most work it could do for the largest
// invitation data (maxListLen items in every list). Every execution is
// held to it again while it runs: a writer that counts steps, caps the
// output and watches the context (text/template offers no other way to stop
// an execution), fed by a zero-length text node before every action and at
// the start of every range iteration, so that even a template that writes
// nothing reaches the writer at every step.
const (
	// maxOutput caps one rendered part (subject, text or HTML).
	maxOutput = 512 << 10
	// maxSteps caps the writes of one rendered part, the ticks included:
	// the static cost of a saved template (steps plus operands, worst case)
	// is at most this, so a saved template never reaches it.
	maxSteps = 200_000
	// maxRenderTime caps the time of one rendered part: about fifty times
	// what maxSteps take.
	maxRenderTime = raceSlowdown * time.Second
	// maxValidateTime caps ValidateTemplates (its renders and the
	// sanitizer's checks): a hundred times what the defaults take.
	maxValidateTime = raceSlowdown * 2 * time.Second
	// maxSampleHTML caps the HTML of a sample invitation when templates
	// are saved: Gmail clips messages past 102 KB, and the sanitizer's
	// check of every sample stays well within maxValidateTime.
	maxSampleHTML = 100 << 10
	// maxNesting caps how deeply if, with and range (and parenthesized
	// pipelines) nest; "else if" chains count once.
	maxNesting = 10
	// maxListLen is the most items of every list in TemplateData
	// (attendees, changes, lines): the multiplier of the static cost of a
	// range body.
	maxListLen = maxAttendees
)

// BudgetError says that a template's rendering went past its budget: What
// is "output", "steps" or "time"; Doing says what took the time.
type BudgetError struct {
	What  string
	Limit string
	Doing string
}

func (e *BudgetError) Error() string {
	switch e.What {
	case "output":
		return "output longer than " + e.Limit
	case "steps":
		return "more than " + e.Limit + " rendering steps"
	}
	return e.Doing + " took longer than " + e.Limit
}

var (
	errTooLong      = &BudgetError{What: "output", Limit: fmt.Sprintf("%d bytes", maxOutput)}
	errTooManySteps = &BudgetError{What: "steps", Limit: fmt.Sprint(maxSteps)}
	errRenderTime   = &BudgetError{What: "time", Limit: maxRenderTime.String(), Doing: "rendering"}
	errValidateTime = &BudgetError{What: "time", Limit: maxValidateTime.String(), Doing: "rendering and checking the sample invitations"}
)

// limitWriter is where a template writes: it fails past max bytes or
// steps, or once ctx is done (with the context's cause), which stops the
// execution at its next write or tick.
type limitWriter struct {
	ctx   context.Context
	buf   bytes.Buffer
	max   int
	steps int // writes left
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if err := w.ctx.Err(); err != nil {
		return 0, context.Cause(w.ctx)
	}
	if w.steps--; w.steps < 0 {
		return 0, errTooManySteps
	}
	if w.buf.Len()+len(p) > w.max {
		return 0, errTooLong
	}
	return w.buf.Write(p)
}

// run executes a compiled template for data within the budget: ctx's
// cancellation stops it, and so does maxRenderTime.
func run(ctx context.Context, ex executor, data *TemplateData) (string, error) {
	out, _, err := runSteps(ctx, ex, data)
	return out, err
}

// runSteps is run that also says how many steps the execution took.
func runSteps(ctx context.Context, ex executor, data *TemplateData) (string, int, error) {
	return execute(ctx, ex, data, maxSteps, maxRenderTime, errRenderTime)
}

// execute runs ex with at most steps steps, for at most d, after which
// the writer fails with cause.
func execute(ctx context.Context, ex executor, data *TemplateData, steps int, d time.Duration, cause error) (string, int, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, d, cause)
	defer cancel()
	w := &limitWriter{ctx: ctx, max: maxOutput, steps: steps}
	err := ex.Execute(w, data)
	if err != nil {
		return "", steps - w.steps, err
	}
	return w.buf.String(), steps - w.steps, nil
}

// addTicks puts a zero-length text node before every action of the tree
// and at the start of every range body: executing one calls the writer,
// which counts a step and looks at the context. A range whose body writes
// nothing (the nested {{range}} of issue 8 wrote nothing for 3^30
// iterations) thus still ends at the budget or at the request's end.
func addTicks(list *parse.ListNode) {
	if list == nil {
		return
	}
	nodes := make([]parse.Node, 0, 2*len(list.Nodes))
	for _, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.TextNode:
			nodes = append(nodes, n)
			continue
		case *parse.IfNode:
			addTicks(n.List)
			addTicks(n.ElseList)
		case *parse.WithNode:
			addTicks(n.List)
			addTicks(n.ElseList)
		case *parse.RangeNode:
			addTicks(n.List)
			n.List.Nodes = append([]parse.Node{tick(n.Position())}, n.List.Nodes...)
			addTicks(n.ElseList)
		}
		nodes = append(nodes, tick(n.Position()), n)
	}
	list.Nodes = nodes
}

// tick is a zero-length text node: it writes nothing, but executing it
// calls the writer.
func tick(pos parse.Pos) *parse.TextNode {
	return &parse.TextNode{NodeType: parse.NodeText, Pos: pos, Text: []byte{}}
}
