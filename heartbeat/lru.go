package heartbeat

import "container/list"

// lru is a map from sender name to V bounded to max entries; adding past the
// bound forgets the least recently touched entry. Memory therefore stays
// bounded however many names a LAN (or an attacker holding the key) invents.
type lru[V any] struct {
	max   int
	order *list.List // front: most recently touched; elements hold *lruEntry[V]
	items map[string]*list.Element
}

type lruEntry[V any] struct {
	key string
	val V
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, order: list.New(), items: make(map[string]*list.Element)}
}

// get returns the value for key without touching it.
func (l *lru[V]) get(key string) (V, bool) {
	if e, ok := l.items[key]; ok {
		return e.Value.(*lruEntry[V]).val, true
	}
	var zero V
	return zero, false
}

// put sets key to val and marks it most recently touched.
func (l *lru[V]) put(key string, val V) {
	if e, ok := l.items[key]; ok {
		e.Value.(*lruEntry[V]).val = val
		l.order.MoveToFront(e)
		return
	}
	l.items[key] = l.order.PushFront(&lruEntry[V]{key: key, val: val})
	for l.order.Len() > l.max {
		oldest := l.order.Back()
		l.order.Remove(oldest)
		delete(l.items, oldest.Value.(*lruEntry[V]).key)
	}
}

func (l *lru[V]) len() int { return l.order.Len() }
