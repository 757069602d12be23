package objstore

import (
	"slices"
	"time"

	"github.com/shallot-storage/shallot/meta"
)

// MaintenanceStatus is what `shallot status` shows: the disks as last
// probed and the state of the scrub and the heal.
type MaintenanceStatus struct {
	Probed time.Time    `json:"probed"`
	Disks  []DiskReport `json:"disks"`
	// DegradedBlobs counts blobs known to lack a shard: those the last
	// scrub pass found damaged and could not repair, and, while a disk is
	// lost, every blob (each has a shard there). -1 when unknown.
	DegradedBlobs int64  `json:"degraded_blobs"`
	DegradedNote  string `json:"degraded_note,omitempty"`
	// LostBlobs counts blobs the last scrub pass found beyond repair.
	LostBlobs uint64    `json:"lost_blobs"`
	Scrub     JobReport `json:"scrub"`
	Heal      JobReport `json:"heal"`
}

// DiskReport is one disk as last probed.
type DiskReport struct {
	Index       int    `json:"index"`
	ID          string `json:"id"`
	Path        string `json:"path,omitempty"`
	State       string `json:"state"` // ok, full, blank, foreign, unreadable, missing
	Total       uint64 `json:"total_bytes"`
	Free        uint64 `json:"free_bytes"`
	Error       string `json:"error,omitempty"`
	PendingHeal bool   `json:"pending_heal"`
}

// JobReport is the state of the scrub or the heal.
type JobReport struct {
	Running  bool           `json:"running"`
	Pass     uint64         `json:"pass"`
	Started  time.Time      `json:"started,omitzero"`
	Finished time.Time      `json:"finished,omitzero"` // of the last complete pass
	Rate     int64          `json:"rate_bytes_per_s"`  // <= 0: unbounded (or off, for the scrub)
	Interval time.Duration  `json:"interval_ns,omitempty"`
	Disks    []int          `json:"disks,omitempty"` // heal: the disks the running pass rebuilds
	Pending  []int          `json:"pending_disks,omitempty"`
	Current  meta.JobCounts `json:"current"` // of the running pass
	Last     meta.JobCounts `json:"last"`    // of the last complete pass
}

func jobReport(j meta.JobState, running bool, rate int64) JobReport {
	r := JobReport{Running: running, Pass: j.Pass, Rate: rate, Current: j.Current, Last: j.Last,
		Disks: slices.Clone(j.Disks), Pending: slices.Clone(j.PendingDisks)}
	if j.Started != 0 {
		r.Started = time.Unix(0, j.Started)
	}
	if j.Finished != 0 {
		r.Finished = time.Unix(0, j.Finished)
	}
	if j.Cursor == nil {
		r.Current = meta.JobCounts{}
		r.Disks = nil
	}
	return r
}

// Status reports the disks and the background jobs.
func (m *Maintenance) Status() MaintenanceStatus {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := MaintenanceStatus{Probed: m.probed,
		Scrub: jobReport(m.scrub, m.scrubRun, m.opts.ScrubRate),
		Heal:  jobReport(m.heal, m.healRun, m.opts.HealRate)}
	st.Scrub.Interval = m.opts.ScrubInterval
	lost := 0
	for _, d := range m.disks {
		r := DiskReport{Index: d.Index, ID: d.ID, Path: d.Path, State: d.State.String(), Total: d.Total, Free: d.Free,
			PendingHeal: slices.Contains(m.heal.PendingDisks, d.Index)}
		if d.Err != nil {
			r.Error = d.Err.Error()
		}
		if !d.State.Usable() {
			lost++
		}
		st.Disks = append(st.Disks, r)
	}
	st.LostBlobs = m.scrub.Last.Unreadable + m.scrub.Last.Missing
	switch {
	case lost > 0:
		st.DegradedBlobs = -1
		st.DegradedNote = "every blob lacks its shard on the lost disks"
	case len(m.heal.PendingDisks) > 0:
		st.DegradedBlobs = -1
		st.DegradedNote = "disks wait for healing: blobs written while they were lost lack their shards there"
	case m.scrub.Finished == 0:
		st.DegradedBlobs = -1
		st.DegradedNote = "no scrub pass has completed yet"
	default:
		last := m.scrub.Last
		st.DegradedBlobs = int64(last.Damaged - last.Repaired - last.Unreadable - last.Missing)
		if m.heal.Finished > m.scrub.Finished {
			st.DegradedNote = "as of the last scrub pass; a heal pass ran since"
		} else {
			st.DegradedNote = "as of the last scrub pass"
		}
	}
	return st
}
