package meta

import (
	"sync"
	"sync/atomic"
)

// groupSync lets many committers share one fsync of badger's log. A caller
// needs a sync that started after its commit; if one is running, it waits
// for that one and then for the next, which every caller that arrived in
// the meantime shares.
type groupSync struct {
	sync func() error

	// commits counts committed transactions; synced is the count a
	// finished sync covered (read when it started). When they are equal
	// there is nothing to make durable and Sync returns at once: a close
	// that changed nothing costs no fsync.
	commits atomic.Uint64
	synced  atomic.Uint64

	mu        sync.Mutex
	cond      *sync.Cond
	running   bool
	started   uint64 // number of syncs started
	completed uint64 // number of the last sync finished
	errs      map[uint64]error
}

func newGroupSync(fn func() error) *groupSync {
	g := &groupSync{sync: fn, errs: map[uint64]error{}}
	g.cond = sync.NewCond(&g.mu)
	return g
}

func (g *groupSync) committed() { g.commits.Add(1) }

// Sync returns once every transaction committed before the call is
// durable: at once if a finished sync already covered them, else after a
// sync that started after the call.
func (g *groupSync) Sync() error {
	if g.commits.Load() == g.synced.Load() {
		return nil
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	ticket := g.started + 1
	for g.completed < ticket {
		if g.running {
			g.cond.Wait()
			continue
		}
		g.running = true
		g.started++
		n := g.started
		covers := g.commits.Load()
		g.mu.Unlock()
		err := g.sync()
		g.mu.Lock()
		if err == nil && covers > g.synced.Load() {
			g.synced.Store(covers)
		}
		g.running = false
		g.completed = n
		if err != nil {
			g.errs[n] = err
		}
		g.cond.Broadcast()
	}
	// The sync numbered ticket is the first to start after our commit.
	err := g.errs[ticket]
	for n := range g.errs {
		if n+1024 < g.completed {
			delete(g.errs, n)
		}
	}
	return err
}
