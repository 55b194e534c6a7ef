package recur

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrBudget is wrapped by the error of an expansion that stopped because
// its Budget ran out. Unlike ErrCapped, which leaves a usable answer (the
// instances before the cap), it means the request asked for more work than
// it may spend: the caller answers with an error (the API says which
// calendar is too dense for the window), never with the partial result.
var ErrBudget = errors.New("recur: expansion budget exhausted")

// Default limits of NewBudget.
const (
	// DefaultBudgetInstances is the instance budget of a request when
	// NewBudget is given 0: 50 attendees with 5,000 busy intervals each.
	DefaultBudgetInstances = 250_000
	// DefaultBudgetSteps is the step budget of a request when NewBudget is
	// given 0: a step costs 20 to 50 ns, so a few hundred milliseconds of
	// expansion work.
	DefaultBudgetSteps = 20_000_000
)

// budgetStride is how many steps an expansion takes between two looks at
// its Budget and its context.
const budgetStride = 4096

// Budget is what one request may spend expanding recurrences, across every
// calendar, event and rule it expands: a number of instances (each one is
// memory held until the request ends), a number of iteration steps (the
// CPU spent on periods, candidate days and instances looked at, including
// those a rule with COUNT must walk before the window), and the request's
// context, whose end stops every expansion at its next look (every few
// thousand steps).
//
// Make one per request with NewBudget and pass it in Options.Budget to
// every ExpandCalendar the request makes: the busy time of all attendees of
// GET /api/v1/availability share one, as do all the objects of a CalDAV
// REPORT. When it runs out, ExpandCalendar stops and returns an error
// wrapping ErrBudget (a *BudgetError) or the context's error.
//
// A nil *Budget is unlimited and has no context. A Budget is safe for
// concurrent use.
type Budget struct {
	ctx       context.Context
	maxInst   int64
	maxSteps  int64
	instances atomic.Int64 // spent
	steps     atomic.Int64 // spent
}

// NewBudget returns a budget of instances and steps (0 or less: the
// defaults) bound to ctx (nil: no context).
func NewBudget(ctx context.Context, instances, steps int) *Budget {
	if instances <= 0 {
		instances = DefaultBudgetInstances
	}
	if steps <= 0 {
		steps = DefaultBudgetSteps
	}
	return &Budget{ctx: ctx, maxInst: int64(instances), maxSteps: int64(steps)}
}

// BudgetError is the error of an expansion whose Budget ran out of
// instances or steps. It wraps ErrBudget.
type BudgetError struct {
	// Resource is "instances" or "steps".
	Resource string
	// Limit is the budget of that resource.
	Limit int64
}

func (e *BudgetError) Error() string {
	if e.Resource == "instances" {
		return fmt.Sprintf("%v: more than %d instances", ErrBudget, e.Limit)
	}
	return fmt.Sprintf("%v: more than %d iteration steps", ErrBudget, e.Limit)
}

// Unwrap returns ErrBudget.
func (e *BudgetError) Unwrap() error { return ErrBudget }

// Err returns why the budget is spent: an error wrapping the context's
// cause once the context is done, a *BudgetError once a limit is passed,
// nil while the budget lasts.
func (b *Budget) Err() error {
	if b == nil {
		return nil
	}
	if b.ctx != nil {
		select {
		case <-b.ctx.Done():
			return fmt.Errorf("recur: expansion stopped: %w", context.Cause(b.ctx))
		default:
		}
	}
	if b.instances.Load() > b.maxInst {
		return &BudgetError{Resource: "instances", Limit: b.maxInst}
	}
	if b.steps.Load() > b.maxSteps {
		return &BudgetError{Resource: "steps", Limit: b.maxSteps}
	}
	return nil
}

// Used returns the instances and steps spent so far.
func (b *Budget) Used() (instances, steps int64) {
	if b == nil {
		return 0, 0
	}
	return b.instances.Load(), b.steps.Load()
}

// Limits returns the instance and step limits of the budget (0 for the
// nil, unlimited budget).
func (b *Budget) Limits() (instances, steps int64) {
	if b == nil {
		return 0, 0
	}
	return b.maxInst, b.maxSteps
}

// spendInstances charges n instances and returns Err.
func (b *Budget) spendInstances(n int) error {
	if b == nil {
		return nil
	}
	b.instances.Add(int64(n))
	return b.Err()
}

// spendSteps charges n steps and returns Err.
func (b *Budget) spendSteps(n int) error {
	if b == nil {
		return nil
	}
	b.steps.Add(int64(n))
	return b.Err()
}
