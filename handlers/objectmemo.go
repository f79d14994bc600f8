package handlers

import (
	"context"
	"sync"
	"time"

	"staas"
	"staas/internal/provision"
)

// adminService is the provisioning service as the admin pages use it,
// with one difference: a statistics object read by the Get action is
// handed to the page render that follows it, so one click reads the
// object from the gateway once, not twice (the action reads it to answer
// "no such object" on the form; the render to show it). An object can
// hold hundreds of thousands of items; its read is the page's slowest.
type adminService struct {
	*provision.AdminPanel
	objects *objectMemo
}

func newAdminService(svc *provision.AdminPanel) adminService {
	return adminService{AdminPanel: svc, objects: &objectMemo{items: map[objectKey]memoObject{}}}
}

// renderKey marks the context of a page render (panelsHTML).
type renderKey struct{}

func rendering(ctx context.Context) context.Context { return context.WithValue(ctx, renderKey{}, true) }

// StatsObject reads a statistics object. Read by an action, it is kept
// for the render that follows; read by a render, the kept one is taken
// (once) when it is fresh, else it is read.
func (s adminService) StatsObject(ctx context.Context, a provision.Actor, name string) (*staas.UsageObject, error) {
	k := objectKey{admin: a.Admin.ID, client: a.ClientID, name: name}
	if ctx.Value(renderKey{}) != nil {
		if o := s.objects.take(k, time.Now()); o != nil {
			return o, nil
		}
		return s.AdminPanel.StatsObject(ctx, a, name)
	}
	o, err := s.AdminPanel.StatsObject(ctx, a, name)
	if err == nil {
		s.objects.put(k, o, time.Now())
	}
	return o, err
}

// objectMemo keeps the objects actions read until their render takes
// them, at most objectMemoSize for at most objectMemoTTL: a render that
// lands on another replica, or never comes, reads or loses nothing.
type objectMemo struct {
	mu    sync.Mutex
	items map[objectKey]memoObject
}

const (
	objectMemoTTL  = 10 * time.Second
	objectMemoSize = 16
)

type objectKey struct {
	admin, client int64
	name          string
}

type memoObject struct {
	o  *staas.UsageObject
	at time.Time
}

func (m *objectMemo) put(k objectKey, o *staas.UsageObject, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for key, it := range m.items {
		if now.Sub(it.at) > objectMemoTTL {
			delete(m.items, key)
		}
	}
	if len(m.items) >= objectMemoSize {
		var oldest objectKey
		first := true
		for key, it := range m.items {
			if first || it.at.Before(m.items[oldest].at) {
				oldest, first = key, false
			}
		}
		delete(m.items, oldest)
	}
	m.items[k] = memoObject{o: o, at: now}
}

func (m *objectMemo) take(k objectKey, now time.Time) *staas.UsageObject {
	m.mu.Lock()
	defer m.mu.Unlock()
	it, ok := m.items[k]
	delete(m.items, k)
	if !ok || now.Sub(it.at) > objectMemoTTL {
		return nil
	}
	return it.o
}
