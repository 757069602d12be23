package objstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/sirupsen/logrus"
)

// Maintenance runs the store's background care of its data while the
// daemon serves:
//
//   - a disk probe every ProbeInterval (statfs and the identity marker of
//     each shard directory; see blob.ProbeDisks). A disk found blank (new,
//     replaced or emptied) gets its marker and is queued for healing; so is
//     a disk found missing or unreadable, since blobs written meanwhile
//     lack their shard there.
//   - the heal (heal.go): when queued disks are usable again, one pass over
//     every blob the metadata names reads the shard headers on those disks
//     and rebuilds what is missing (blob.Repair), at HealRate. Heal runs a
//     pass over every disk on demand.
//   - the scrub (scrub.go): every ScrubInterval, a pass reads every shard of
//     every named blob (blob.Verify) at ScrubRate and rewrites damaged
//     shards.
//
// Passes resume after a restart where they stopped: their state (a cursor
// over the metadata, counts of what they found) lives in meta as JobState
// records "scrub" and "heal". Counts are logged at the end of each pass and
// reported by Status.
//
// A blob freed while a pass looks at it can look missing or damaged: a
// pass checks that the record it came from still names it before counting
// it. A repair racing with a delete may rewrite shards of a blob just
// freed; such an orphan is collected at the next start.
//
// Start it after New and Stop it before Store.Close.
type Maintenance struct {
	s       *Store
	opts    MaintenanceOptions
	log     *logrus.Entry
	storeID string

	stop     chan struct{}
	stopOnce sync.Once
	ctx      context.Context
	wg       sync.WaitGroup

	healKick  chan struct{}
	scrubKick chan struct{}

	mu          sync.Mutex
	disks       []blob.DiskStatus
	probed      time.Time
	unusable    map[int]time.Time // disks the last probes found unusable, since when
	scrub, heal meta.JobState
	scrubRun    bool
	healRun     bool
	// healWaiters wait for the end of the next full heal pass;
	// healFull asks for one.
	healWaiters []chan healResult
	healFull    bool
	scrubNow    []chan meta.JobCounts
}

// MaintenanceOptions configure the background jobs; zero fields take the
// defaults.
type MaintenanceOptions struct {
	// ScrubRate bounds the bytes per second the scrub reads (default
	// 16 MiB/s); negative turns the background scrub off (Scrub on demand
	// still works, unbounded).
	ScrubRate int64
	// ScrubInterval is the pause between the start of one scrub pass and
	// the next (default 24 h).
	ScrubInterval time.Duration
	// HealRate bounds the bytes per second a heal reads (default
	// 128 MiB/s; negative: unbounded).
	HealRate int64
	// ProbeInterval is how often disks are probed (default 10 s).
	ProbeInterval time.Duration
	// CheckpointFile, when set, gets a metadata checkpoint every
	// CheckpointInterval (default 2 s) and at Stop, so that the next start
	// notices committed transactions badger lost (see meta.CheckDamage).
	CheckpointFile     string
	CheckpointInterval time.Duration
	Log                *logrus.Entry
}

func (o *MaintenanceOptions) setDefaults() {
	if o.ScrubRate == 0 {
		o.ScrubRate = 16 << 20
	}
	if o.ScrubInterval <= 0 {
		o.ScrubInterval = 24 * time.Hour
	}
	if o.HealRate == 0 {
		o.HealRate = 128 << 20
	}
	if o.ProbeInterval <= 0 {
		o.ProbeInterval = 10 * time.Second
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = logrus.NewEntry(logrus.StandardLogger())
	}
}

// Job state names in meta.
const (
	jobScrub = "scrub"
	jobHeal  = "heal"
)

// StartMaintenance loads the jobs' state, probes the disks once and starts
// the background work.
func StartMaintenance(s *Store, opts MaintenanceOptions) (*Maintenance, error) {
	opts.setDefaults()
	m := &Maintenance{s: s, opts: opts, log: opts.Log.WithField("component", "maintenance"),
		stop: make(chan struct{}), healKick: make(chan struct{}, 1), scrubKick: make(chan struct{}, 1),
		unusable: map[int]time.Time{}}
	var cancel context.CancelFunc
	m.ctx, cancel = context.WithCancel(context.Background())
	id, err := storeID(s.db)
	if err != nil {
		cancel()
		return nil, err
	}
	m.storeID = id
	err = s.db.View(func(x *meta.Txn) (err error) {
		if m.scrub, err = x.JobState(jobScrub); err != nil {
			return err
		}
		m.heal, err = x.JobState(jobHeal)
		return err
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("maintenance: %w", err)
	}
	m.probe()
	m.wg.Go(func() { <-m.stop; cancel() })
	m.wg.Go(m.probeLoop)
	m.wg.Go(m.healLoop)
	m.wg.Go(m.scrubLoop)
	if opts.CheckpointFile != "" {
		m.wg.Go(m.checkpointLoop)
	}
	return m, nil
}

// checkpointLoop writes metadata checkpoints until Stop, and one last.
func (m *Maintenance) checkpointLoop() {
	for {
		if err := meta.WriteCheckpoint(m.s.db, m.opts.CheckpointFile); err != nil {
			m.log.WithError(err).Warn("metadata checkpoint")
		}
		if !m.sleep(m.opts.CheckpointInterval) {
			if err := meta.WriteCheckpoint(m.s.db, m.opts.CheckpointFile); err != nil {
				m.log.WithError(err).Warn("metadata checkpoint")
			}
			return
		}
	}
}

// Stop ends the background work and waits for it; a pass in progress
// saves its place first.
func (m *Maintenance) Stop() {
	m.stopOnce.Do(func() { close(m.stop) })
	m.wg.Wait()
}

// storeID returns the store's identity (created on first use), which the
// disks' markers carry.
func storeID(db *meta.DB) (string, error) {
	var id string
	err := db.Update(func(x *meta.Txn) error {
		v, err := x.Config("store-id")
		if err == nil {
			id = string(v)
			return nil
		}
		if err != meta.ErrNotFound {
			return err
		}
		var raw [16]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return err
		}
		id = hex.EncodeToString(raw[:])
		return x.PutConfig("store-id", []byte(id))
	})
	if err != nil {
		return "", fmt.Errorf("store id: %w", err)
	}
	return id, nil
}

// saveJob writes a job's state. Progress saves need not be durable.
func (m *Maintenance) saveJob(name string, j meta.JobState, durable bool) {
	update := m.s.db.UpdateNoSync
	if durable {
		update = m.s.db.Update
	}
	if err := update(func(x *meta.Txn) error { return x.PutJobState(name, &j) }); err != nil {
		m.log.WithError(err).WithField("job", name).Warn("save job state")
	}
}

// sleep waits d or until Stop; it reports whether to go on.
func (m *Maintenance) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-m.stop:
		return false
	}
}

// rateLimiter spaces reads so that they average at most rate bytes per
// second, without bursts.
type rateLimiter struct {
	rate int64
	next time.Time
}

func (r *rateLimiter) wait(ctx context.Context, n int64) error {
	if r.rate <= 0 || n <= 0 {
		return ctx.Err()
	}
	now := time.Now()
	if r.next.Before(now) {
		r.next = now
	}
	r.next = r.next.Add(time.Duration(float64(n) / float64(r.rate) * float64(time.Second)))
	d := time.Until(r.next)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// passStart is the cursor of a pass that has not visited anything yet: it
// sorts before every key, and differs from nil (no pass running).
var passStart = []byte{0}

// walkBlobs runs fn for every blob the metadata names, from j.Cursor on,
// pacing by the bytes fn reports through lim, and saving the cursor every
// few seconds. A blob named by consecutive records (the extents of one
// file) is visited once. The cursor only passes a record once fn is done
// with every blob it names; when ctx ends in the middle of a record, the
// counts go back to where they were before it, so that a resumed pass
// counts every blob once.
func (m *Maintenance) walkBlobs(ctx context.Context, name string, j *meta.JobState, mu *sync.Mutex, lim *rateLimiter, fn func(meta.BlobRef) int64) error {
	recent := make([]uint64, 0, 256)
	lastSave := time.Now()
	save := func(durable bool) {
		mu.Lock()
		snap := *j
		mu.Unlock()
		m.saveJob(name, snap, durable)
		lastSave = time.Now()
	}
	for {
		mu.Lock()
		cur := j.Cursor
		mu.Unlock()
		var refs []meta.BlobRef
		var next []byte
		err := m.s.db.View(func(x *meta.Txn) (err error) {
			refs = refs[:0]
			next, err = x.BlobRefsAfter(cur, 64, func(r meta.BlobRef) error { refs = append(refs, r); return nil })
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: walk metadata: %w", name, err)
		}
		var recStart meta.JobCounts
		for i, r := range refs {
			first := i == 0 || !bytes.Equal(refs[i-1].Cursor, r.Cursor)
			last := i == len(refs)-1 || !bytes.Equal(refs[i+1].Cursor, r.Cursor)
			if first {
				mu.Lock()
				recStart = j.Current
				mu.Unlock()
			}
			var cost int64
			if !slices.Contains(recent, r.Blob) {
				if len(recent) == cap(recent) {
					recent = recent[:copy(recent, recent[1:])]
				}
				recent = append(recent, r.Blob)
				cost = fn(r)
			}
			if ctx.Err() != nil {
				// fn may have been cut short: the record is not done.
				mu.Lock()
				j.Current = recStart
				mu.Unlock()
				save(true)
				return ctx.Err()
			}
			if last {
				mu.Lock()
				j.Cursor = r.Cursor
				mu.Unlock()
			}
			if err := lim.wait(ctx, cost); err != nil {
				if !last {
					mu.Lock()
					j.Current = recStart
					mu.Unlock()
				}
				save(true)
				return err
			}
			if last && time.Since(lastSave) > 5*time.Second {
				save(false)
			}
		}
		mu.Lock()
		j.Cursor = next
		mu.Unlock()
		if next == nil {
			return nil
		}
	}
}

// stillNamed reports whether r's record still names its blob (errors
// count as yes: better a false alarm than a missed loss).
func (m *Maintenance) stillNamed(r meta.BlobRef) bool {
	named := true
	if err := m.s.db.View(func(x *meta.Txn) (err error) { named, err = x.StillNamed(r); return }); err != nil {
		return true
	}
	return named
}

// unusableDisks lists the disks the last probe found unusable.
func (m *Maintenance) unusableDisks() map[int]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[int]bool{}
	for i := range m.unusable {
		out[i] = true
	}
	return out
}

func counts(c meta.JobCounts) logrus.Fields {
	return logrus.Fields{"blobs": c.Blobs, "bytes": c.Bytes, "damaged": c.Damaged, "shards_bad": c.ShardsBad,
		"repaired": c.Repaired, "unreadable": c.Unreadable, "missing": c.Missing, "repair_failures": c.RepairFails}
}
