package objstore

import (
	"context"
	"errors"
	"io/fs"
	"slices"
	"time"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/sirupsen/logrus"
)

// Healing rebuilds the shards a disk lacks: all of them on a replaced
// (blank) disk, those of blobs written while it was missing or unreadable.
// A pass reads one shard header per blob on each disk it heals (cheap),
// and rebuilds a blob only where a header is missing or bad.

// healResult is what a full heal pass found, for Heal's callers.
type healResult struct {
	counts meta.JobCounts
	err    error
}

// probeLoop probes the disks every ProbeInterval.
func (m *Maintenance) probeLoop() {
	for m.sleep(m.opts.ProbeInterval) {
		m.probe()
	}
}

// probe checks every disk, writes the marker of blank ones, queues disks
// for healing and starts a heal when a queued disk is usable.
func (m *Maintenance) probe() {
	log := m.log.WithField("component", "heal")
	st := m.s.blobs.ProbeDisks(m.ctx, m.storeID)
	var queue []int
	for i := range st {
		d := &st[i]
		fields := logrus.Fields{"disk": d.ID, "path": d.Path}
		switch d.State {
		case blob.DiskBlank:
			if err := m.s.blobs.WriteMarker(m.ctx, i, m.storeID); err != nil {
				d.State, d.Err = blob.DiskUnreadable, err
				log.WithFields(fields).WithError(err).Warn("blank disk refuses its identity marker")
				queue = append(queue, i)
				break
			}
			d.State, d.Err = blob.DiskOK, nil
			if m.namesNoBlob() {
				// A new store: nothing to rebuild.
				log.WithFields(fields).Debug("identity marker written")
				break
			}
			log.WithFields(fields).Info("blank disk (new, replaced or emptied): identity written, its shards will be rebuilt")
			queue = append(queue, i)
		case blob.DiskMissing, blob.DiskUnreadable, blob.DiskForeign:
			queue = append(queue, i)
		}
	}
	m.mu.Lock()
	now := time.Now()
	for i, d := range st {
		_, was := m.unusable[i]
		fields := logrus.Fields{"disk": d.ID, "path": d.Path, "state": d.State.String()}
		switch {
		case !d.State.Usable() && !was:
			m.unusable[i] = now
			log.WithFields(fields).WithError(d.Err).Error("disk lost: reads rebuild its shards from the others; it is healed when it answers again or is replaced by an empty directory")
		case d.State.Usable() && was:
			delete(m.unusable, i)
			log.WithFields(fields).Info("disk usable again")
		}
	}
	m.disks, m.probed = st, now
	changed := false
	for _, i := range queue {
		if !slices.Contains(m.heal.PendingDisks, i) {
			m.heal.PendingDisks = append(m.heal.PendingDisks, i)
			slices.Sort(m.heal.PendingDisks)
			changed = true
		}
	}
	ready := false
	for _, i := range m.heal.PendingDisks {
		ready = ready || st[i].State.Usable()
	}
	state := m.heal
	m.mu.Unlock()
	if changed {
		m.saveJob(jobHeal, state, true)
	}
	if ready || state.Cursor != nil {
		m.kickHeal()
	}
}

// namesNoBlob reports whether the metadata names no blob at all.
func (m *Maintenance) namesNoBlob() bool {
	none := false
	err := m.s.db.View(func(x *meta.Txn) error {
		next, err := x.BlobRefsAfter(nil, 1, func(meta.BlobRef) error { return nil })
		none = next == nil
		return err
	})
	return err == nil && none
}

func (m *Maintenance) kickHeal() {
	select {
	case m.healKick <- struct{}{}:
	default:
	}
}

// Heal runs a heal pass over every usable disk (whatever the queue says)
// and waits for its end; a pass already running finishes first. It probes
// the disks first, so a directory replaced a moment ago is healed now
// rather than after the next periodic probe.
func (m *Maintenance) Heal(ctx context.Context) (meta.JobCounts, error) {
	m.probe()
	ch := make(chan healResult, 1)
	m.mu.Lock()
	m.healWaiters = append(m.healWaiters, ch)
	m.healFull = true
	m.mu.Unlock()
	m.kickHeal()
	select {
	case r := <-ch:
		return r.counts, r.err
	case <-ctx.Done():
		return meta.JobCounts{}, ctx.Err()
	}
}

func (m *Maintenance) healLoop() {
	log := m.log.WithField("component", "heal")
	for {
		select {
		case <-m.stop:
			return
		case <-m.healKick:
		}
		m.mu.Lock()
		var waiters []chan healResult
		if m.heal.Cursor == nil {
			var targets []int
			if m.healFull {
				waiters, m.healWaiters, m.healFull = m.healWaiters, nil, false
				for i, d := range m.disks {
					if d.State.Usable() {
						targets = append(targets, i)
					}
				}
			} else {
				for _, i := range m.heal.PendingDisks {
					if m.disks[i].State.Usable() {
						targets = append(targets, i)
					}
				}
			}
			if len(targets) == 0 {
				m.mu.Unlock()
				for _, w := range waiters {
					w <- healResult{err: errors.New("no usable disk to heal")}
				}
				continue
			}
			m.heal.Pass++
			m.heal.Cursor = passStart
			m.heal.Disks = targets
			m.heal.Started = time.Now().UnixNano()
			m.heal.Current = meta.JobCounts{}
			log.WithFields(logrus.Fields{"pass": m.heal.Pass, "disks": targets}).Info("heal pass started")
		} else {
			log.WithFields(logrus.Fields{"pass": m.heal.Pass, "disks": m.heal.Disks, "blobs_done": m.heal.Current.Blobs}).Info("heal pass resumed")
		}
		m.healRun = true
		targets := slices.Clone(m.heal.Disks)
		started := time.Unix(0, m.heal.Started)
		m.mu.Unlock()

		err := m.healPass(log, targets)

		m.mu.Lock()
		m.healRun = false
		if err == nil {
			m.heal.Last = m.heal.Current
			m.heal.Finished = time.Now().UnixNano()
			m.heal.Cursor = nil
			// A disk that failed during the pass may have missed writes:
			// it stays queued.
			m.heal.PendingDisks = slices.DeleteFunc(m.heal.PendingDisks, func(i int) bool {
				since, bad := m.unusable[i]
				return slices.Contains(targets, i) && (!bad || since.Before(started))
			})
		}
		st := m.heal
		more := m.healFull
		for _, i := range st.PendingDisks {
			more = more || m.disks[i].State.Usable()
		}
		m.mu.Unlock()
		m.saveJob(jobHeal, st, true)
		if err != nil {
			for _, w := range waiters {
				w <- healResult{err: err}
			}
			if errors.Is(err, context.Canceled) {
				return
			}
			log.WithError(err).Error("heal pass failed")
			if !m.sleep(time.Minute) {
				return
			}
			m.kickHeal()
			continue
		}
		entry := log.WithFields(counts(st.Last)).WithFields(logrus.Fields{"pass": st.Pass, "disks": st.Disks,
			"seconds": time.Duration(st.Finished - st.Started).Seconds()})
		if st.Last.RepairFails > 0 || st.Last.Unreadable > 0 {
			entry.Warn("heal pass done: some blobs could not be rebuilt")
		} else {
			entry.Info("heal pass done")
		}
		for _, w := range waiters {
			w <- healResult{counts: st.Last}
		}
		if more && len(waiters) == 0 {
			m.kickHeal()
		}
	}
}

func (m *Maintenance) healPass(log *logrus.Entry, targets []int) error {
	lim := rateLimiter{rate: m.opts.HealRate}
	ctx := m.ctx
	return m.walkBlobs(ctx, jobHeal, &m.heal, &m.mu, &lim, func(r meta.BlobRef) int64 {
		var c meta.JobCounts
		cost := m.healBlob(ctx, log, r, targets, &c)
		m.mu.Lock()
		addCounts(&m.heal.Current, c)
		m.mu.Unlock()
		return cost
	})
}

// healBlob rebuilds blob r's shards on targets if any is missing or bad,
// and returns the bytes it read.
func (m *Maintenance) healBlob(ctx context.Context, log *logrus.Entry, r meta.BlobRef, targets []int, c *meta.JobCounts) int64 {
	blobs := m.s.blobs
	id := blob.ID(r.Blob)
	bad, err := blobs.BadShardHeaders(ctx, id, targets)
	if err != nil {
		return 0
	}
	const headerCost = 4 << 10
	cost := int64(len(targets)) * headerCost
	c.Blobs++
	c.Bytes += uint64(cost)
	if len(bad) == 0 {
		return cost
	}
	fields := logrus.Fields{"blob": id.String(), "owner": ownerOf(r), "shards": bad}
	err = blobs.Repair(ctx, id)
	if ctx.Err() != nil {
		return cost
	}
	if !m.stillNamed(r) {
		c.Blobs--
		return cost
	}
	c.Damaged++
	c.ShardsBad += uint64(len(bad))
	size, _ := blobs.StoredSize(ctx, id)
	c.Bytes += uint64(size)
	cost += 2 * size
	switch {
	case err == nil:
		c.Repaired++
		log.WithFields(fields).Debug("shards rebuilt")
	case errors.Is(err, blob.ErrUnreadable):
		c.Unreadable++
		log.WithFields(fields).WithError(err).Error("blob has too few good shards to rebuild: its data is lost")
	case isNotExist(err):
		c.Missing++
		log.WithFields(fields).WithError(err).Error("blob named by the metadata has no shard on any disk: its data is lost")
	default:
		c.RepairFails++
		log.WithFields(fields).WithError(err).Warn("could not rebuild shards")
	}
	return cost
}

func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
