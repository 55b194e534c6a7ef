package calendar

import (
	"container/list"
	"sync"

	"github.com/emersion/go-ical"
)

// objectCache keeps parsed calendar objects by ETag (a hash of their text),
// so that busy-time queries do not parse the same recurring event again.
// The parsed calendars are shared: nothing may modify them.
type objectCache struct {
	mu    sync.Mutex
	max   int
	ll    *list.List
	items map[string]*list.Element
}

type cacheEntry struct {
	etag string
	cal  *ical.Calendar
}

func newObjectCache(max int) *objectCache {
	return &objectCache{max: max, ll: list.New(), items: map[string]*list.Element{}}
}

// parse returns the parsed calendar of data, whose ETag is etag.
func (c *objectCache) parse(etag string, data []byte) (*ical.Calendar, error) {
	c.mu.Lock()
	if e, ok := c.items[etag]; ok {
		c.ll.MoveToFront(e)
		cal := e.Value.(*cacheEntry).cal
		c.mu.Unlock()
		return cal, nil
	}
	c.mu.Unlock()
	cal, err := decodeOne(data)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[etag]; ok {
		return e.Value.(*cacheEntry).cal, nil
	}
	c.items[etag] = c.ll.PushFront(&cacheEntry{etag: etag, cal: cal})
	for c.ll.Len() > c.max {
		old := c.ll.Back()
		c.ll.Remove(old)
		delete(c.items, old.Value.(*cacheEntry).etag)
	}
	return cal, nil
}
