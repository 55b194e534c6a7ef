package zoomsandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
)

// The data file (Options.DataFile) is a snapshot of the state and a
// journal beside it (the same name with ".journal"): what changed since the
// snapshot, one JSON record per line, appended shortly after each change.
// A change costs what it changed, not the whole state: the meeting it made
// or touched, or the small rest (accounts, users, tokens, codes, daily
// counts). When the journal outgrows the snapshot, a new snapshot replaces
// both; Close leaves the snapshot alone.
//
// Each snapshot has a generation, and the journal's first line names the
// generation it follows: a journal left from before the last snapshot (the
// process died between writing one and starting the other) is stale and
// ignored.

// saveDelay is how long after a change the journal is written: a process
// killed in between loses at most that much.
const saveDelay = 50 * time.Millisecond

// record is one line of the journal.
type record struct {
	// Generation opens a journal: the snapshot it follows.
	Generation int64 `json:"generation,omitempty"`
	// Meeting is a meeting as it is now; Trashed a deleted one, still
	// recoverable; Gone the id of one that is neither any more.
	Meeting *meeting `json:"meeting,omitempty"`
	Trashed *meeting `json:"trashed,omitempty"`
	Gone    int64    `json:"gone,omitempty"`
	// Daily is a host's count of creates and updates today.
	Daily *hostCount `json:"daily,omitempty"`
	// Rest is everything else, whole: it changes seldom.
	Rest *rest `json:"rest,omitempty"`
}

// hostCount is one entry of state.Daily.
type hostCount struct {
	Host string `json:"host"`
	dailyCount
}

// rest is the state but its meetings and daily counts: small, and
// changed seldom (a user's first use, a token, an authorization).
type rest struct {
	Accounts map[string]*account  `json:"accounts"`
	Users    map[string]*user     `json:"users"`
	Tokens   []*token             `json:"tokens"`
	Codes    map[string]*authCode `json:"codes"`
}

// persister writes the data file of one Server.
type persister struct {
	path string

	// Guarded by Server.mu: what changed since the last write.
	dirtyRest     bool
	dirtyMeetings map[int64]struct{}
	dirtyDaily    map[string]struct{}
	queued        bool

	// mu serializes writes (taken before Server.mu) and guards the rest.
	mu           sync.Mutex
	journal      *os.File
	journalSize  int64
	snapshotSize int64
	generation   int64
	closed       bool
}

func journalPath(path string) string { return path + ".journal" }

// load reads the snapshot and replays its journal; a missing file is an
// empty state.
func (p *persister) load() (*state, error) {
	st, err := loadState(p.path)
	if err != nil {
		return nil, err
	}
	p.generation = st.Generation
	f, err := os.Open(journalPath(p.path))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return nil, fmt.Errorf("zoomsandbox: load journal: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	first := true
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			// A line cut short by a crash is the journal's end.
			break
		}
		if first {
			first = false
			if r.Generation != st.Generation {
				return st, nil // stale: from before the snapshot
			}
			continue
		}
		st.apply(&r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("zoomsandbox: load journal: %w", err)
	}
	st.index()
	return st, nil
}

// apply replays one journal record.
func (st *state) apply(r *record) {
	switch {
	case r.Meeting != nil:
		delete(st.Trash, r.Meeting.ID)
		st.Meetings[r.Meeting.ID] = r.Meeting
	case r.Trashed != nil:
		delete(st.Meetings, r.Trashed.ID)
		st.Trash[r.Trashed.ID] = r.Trashed
	case r.Gone != 0:
		delete(st.Meetings, r.Gone)
		delete(st.Trash, r.Gone)
	case r.Daily != nil:
		dc := r.Daily.dailyCount
		st.Daily[r.Daily.Host] = &dc
	case r.Rest != nil:
		st.Accounts, st.Users, st.Tokens, st.Codes = r.Rest.Accounts, r.Rest.Users, r.Rest.Tokens, r.Rest.Codes
		st.fillMaps()
	}
}

// snapshotLocked writes the whole state as a new snapshot and starts its
// journal. p.mu and s.mu are held.
func (p *persister) snapshotLocked(st *state) error {
	st.Generation = p.generation + 1
	n, err := st.save(p.path)
	if err != nil {
		return err
	}
	p.generation, p.snapshotSize = st.Generation, n
	p.dirtyRest, p.dirtyMeetings, p.dirtyDaily = false, nil, nil
	if p.journal != nil {
		p.journal.Close()
		p.journal = nil
	}
	// The old journal is stale now; the next write starts a new one.
	if err := os.Remove(journalPath(p.path)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("zoomsandbox: remove journal: %w", err)
	}
	p.journalSize = 0
	return nil
}

// changed records that something besides the meetings changed. s.mu is
// held.
func (s *Server) changed() {
	if s.persist == nil {
		return
	}
	s.persist.dirtyRest = true
	s.queueSave()
}

// meetingChanged records that the meeting with this id changed, moved to
// the trash or out of it, or is gone. s.mu is held.
func (s *Server) meetingChanged(id int64) {
	if s.persist == nil {
		return
	}
	if s.persist.dirtyMeetings == nil {
		s.persist.dirtyMeetings = map[int64]struct{}{}
	}
	s.persist.dirtyMeetings[id] = struct{}{}
	s.queueSave()
}

// dailyChanged records that a host's daily count changed. s.mu is held.
func (s *Server) dailyChanged(host string) {
	if s.persist == nil {
		return
	}
	if s.persist.dirtyDaily == nil {
		s.persist.dirtyDaily = map[string]struct{}{}
	}
	s.persist.dirtyDaily[host] = struct{}{}
	s.queueSave()
}

// queueSave writes the journal saveDelay from now, unless a write is
// queued already. s.mu is held.
func (s *Server) queueSave() {
	if s.persist.queued {
		return
	}
	s.persist.queued = true
	time.AfterFunc(saveDelay, func() {
		if err := s.flush(); err != nil {
			s.log.Error("zoomsandbox: cannot write the data file", "err", err)
		}
	})
}

// flush appends what changed to the journal, or writes a new snapshot
// when the journal has outgrown the last one.
func (s *Server) flush() error {
	p := s.persist
	p.mu.Lock()
	defer p.mu.Unlock()
	s.mu.Lock()
	p.queued = false
	if p.closed {
		s.mu.Unlock()
		return nil // Close wrote the last snapshot
	}
	if p.journalSize > max(2*p.snapshotSize, 1<<20) {
		err := p.snapshotLocked(s.st)
		s.mu.Unlock()
		return err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if p.journal == nil {
		enc.Encode(record{Generation: p.generation})
	}
	var err error
	for id := range p.dirtyMeetings {
		r := record{Gone: id}
		if m := s.st.Meetings[id]; m != nil {
			r = record{Meeting: m}
		} else if m := s.st.Trash[id]; m != nil {
			r = record{Trashed: m}
		}
		if err = enc.Encode(r); err != nil {
			break
		}
	}
	for host := range p.dirtyDaily {
		if dc := s.st.Daily[host]; dc != nil && err == nil {
			err = enc.Encode(record{Daily: &hostCount{Host: host, dailyCount: *dc}})
		}
	}
	if err == nil && p.dirtyRest {
		err = enc.Encode(record{Rest: &rest{Accounts: s.st.Accounts, Users: s.st.Users, Tokens: s.st.Tokens, Codes: s.st.Codes}})
	}
	p.dirtyRest, p.dirtyMeetings, p.dirtyDaily = false, nil, nil
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("zoomsandbox: encode journal: %w", err)
	}
	if p.journal == nil {
		f, err := os.OpenFile(journalPath(p.path), os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("zoomsandbox: open journal: %w", err)
		}
		p.journal = f
	}
	if _, err := p.journal.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("zoomsandbox: write journal: %w", err)
	}
	p.journalSize += int64(buf.Len())
	if err := p.journal.Sync(); err != nil {
		return fmt.Errorf("zoomsandbox: write journal: %w", err)
	}
	return nil
}

// closeData writes the last snapshot: the journal is folded into it.
func (s *Server) closeData() error {
	p := s.persist
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	p.closed = true
	return p.snapshotLocked(s.st)
}
