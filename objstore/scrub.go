package objstore

import (
	"context"
	"errors"
	"io/fs"
	"strconv"
	"time"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/sirupsen/logrus"
)

// The scrub reads every shard of every blob the metadata names, finds the
// ones that are missing, corrupt or unreadable (bitrot, a damaged file, a
// lost disk) and rewrites them from the others, at a bounded rate so that
// clients keep their bandwidth.

// scrubLoop runs scrub passes: one resumed at start if a pass was cut
// short, then one every ScrubInterval, or at once when asked.
func (m *Maintenance) scrubLoop() {
	log := m.log.WithField("component", "scrub")
	for {
		m.mu.Lock()
		st := m.scrub
		m.mu.Unlock()
		if st.Cursor == nil {
			wait := time.Duration(-1)
			if m.opts.ScrubRate > 0 {
				wait = time.Until(time.Unix(0, st.Started).Add(m.opts.ScrubInterval))
				if st.Started == 0 {
					wait = 0
				}
			}
			if !m.waitScrub(wait) {
				return
			}
		}
		rate := m.opts.ScrubRate
		m.mu.Lock()
		waiters := m.scrubNow
		m.scrubNow = nil
		if len(waiters) > 0 {
			rate = -1
		}
		if m.scrub.Cursor == nil {
			m.scrub.Pass++
			m.scrub.Cursor = passStart
			m.scrub.Started = time.Now().UnixNano()
			m.scrub.Current = meta.JobCounts{}
			log.WithField("pass", m.scrub.Pass).Info("scrub pass started")
		} else {
			log.WithFields(logrus.Fields{"pass": m.scrub.Pass, "blobs_done": m.scrub.Current.Blobs}).Info("scrub pass resumed")
		}
		m.scrubRun = true
		m.mu.Unlock()

		err := m.scrubPass(log, rate)

		m.mu.Lock()
		m.scrubRun = false
		if err == nil {
			m.scrub.Last = m.scrub.Current
			m.scrub.Finished = time.Now().UnixNano()
			m.scrub.Cursor = nil
		}
		st = m.scrub
		m.mu.Unlock()
		m.saveJob(jobScrub, st, true)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				log.WithError(err).Error("scrub pass failed")
			}
			for _, w := range waiters {
				close(w)
			}
			if m.ctx.Err() != nil {
				return
			}
			if !m.sleep(time.Minute) {
				return
			}
			continue
		}
		entry := log.WithFields(counts(st.Last)).WithField("pass", st.Pass).
			WithField("seconds", time.Duration(st.Finished-st.Started).Seconds())
		if st.Last.Damaged > 0 {
			entry.Warn("scrub pass done: damage found")
		} else {
			entry.Info("scrub pass done: every blob intact")
		}
		for _, w := range waiters {
			w <- st.Last
			close(w)
		}
	}
}

// waitScrub waits d (forever when negative) or until Scrub asks for a pass.
func (m *Maintenance) waitScrub(d time.Duration) bool {
	var timer <-chan time.Time
	if d >= 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return true
	case <-m.scrubKick:
		return true
	case <-m.stop:
		return false
	}
}

// Scrub asks for a scrub pass now, at full speed, and with wait returns
// its counts when it ends (a pass already running finishes first).
func (m *Maintenance) Scrub(ctx context.Context, wait bool) (meta.JobCounts, error) {
	ch := make(chan meta.JobCounts, 1)
	m.mu.Lock()
	m.scrubNow = append(m.scrubNow, ch)
	m.mu.Unlock()
	select {
	case m.scrubKick <- struct{}{}:
	default:
	}
	if !wait {
		return meta.JobCounts{}, nil
	}
	select {
	case c, ok := <-ch:
		if !ok {
			return c, errors.New("scrub pass did not complete (daemon stopping or metadata error; see the log)")
		}
		return c, nil
	case <-ctx.Done():
		return meta.JobCounts{}, ctx.Err()
	}
}

func (m *Maintenance) scrubPass(log *logrus.Entry, rate int64) error {
	lim := rateLimiter{rate: rate}
	ctx := m.ctx
	return m.walkBlobs(ctx, jobScrub, &m.scrub, &m.mu, &lim, func(r meta.BlobRef) int64 {
		var c meta.JobCounts
		cost := m.scrubBlob(ctx, log, r, &c)
		m.mu.Lock()
		addCounts(&m.scrub.Current, c)
		m.mu.Unlock()
		return cost
	})
}

// scrubBlob verifies one blob and repairs it if it can; it returns the
// bytes it read.
func (m *Maintenance) scrubBlob(ctx context.Context, log *logrus.Entry, r meta.BlobRef, c *meta.JobCounts) int64 {
	blobs := m.s.blobs
	id := blob.ID(r.Blob)
	h, err := blobs.Verify(ctx, id)
	if ctx.Err() != nil {
		return 0
	}
	cost, _ := blobs.StoredSize(ctx, id)
	fields := logrus.Fields{"blob": id.String(), "owner": ownerOf(r)}
	if err != nil {
		if !m.stillNamed(r) {
			return cost
		}
		c.Blobs++
		c.Damaged++
		if errors.Is(err, fs.ErrNotExist) {
			c.Missing++
			log.WithFields(fields).Error("blob named by the metadata has no shard on any disk: its data is lost")
		} else {
			c.Unreadable++
			log.WithFields(fields).WithError(err).Error("blob cannot be read: its data is lost")
		}
		return cost
	}
	c.Blobs++
	c.Bytes += uint64(cost)
	if h.OK() {
		return cost
	}
	bad := h.Damaged()
	if !m.stillNamed(r) {
		return cost
	}
	c.Damaged++
	c.ShardsBad += uint64(len(bad))
	var states []string
	for _, i := range bad {
		states = append(states, h.Shards[i].State.String())
	}
	fields["shards"], fields["states"] = bad, states
	if !h.Recoverable {
		c.Unreadable++
		log.WithFields(fields).Error("blob has too few good shards: its data is lost")
		return cost
	}
	dead := m.unusableDisks()
	onDeadOnly := true
	for _, i := range bad {
		onDeadOnly = onDeadOnly && dead[i]
	}
	if onDeadOnly {
		// The heal rebuilds these when the disks come back.
		log.WithFields(fields).Debug("blob degraded by a lost disk")
		return cost
	}
	if err := blobs.Repair(ctx, id); err != nil {
		c.RepairFails++
		log.WithFields(fields).WithError(err).Warn("scrub could not repair blob")
		return cost
	}
	c.Repaired++
	log.WithFields(fields).Info("scrub repaired blob")
	return 2 * cost
}

func ownerOf(r meta.BlobRef) string {
	if r.UploadID != "" {
		return "upload " + r.UploadID
	}
	return "inode " + strconv.FormatUint(r.Ino, 10)
}

func addCounts(dst *meta.JobCounts, c meta.JobCounts) {
	dst.Blobs += c.Blobs
	dst.Bytes += c.Bytes
	dst.Damaged += c.Damaged
	dst.ShardsBad += c.ShardsBad
	dst.Repaired += c.Repaired
	dst.Unreadable += c.Unreadable
	dst.Missing += c.Missing
	dst.RepairFails += c.RepairFails
}
