package meta

import "fmt"

// JobState is the resumable state of a background job that walks every
// blob the metadata names (objstore's scrub and heal): where the walk is,
// what the pass in progress found so far, and what the last complete pass
// found. It is saved every few seconds without waiting for a sync: after a
// crash the job only repeats a little work.
type JobState struct {
	Pass uint64 // passes started so far; the one running when Cursor != nil
	// Cursor is where the running pass goes on (see BlobRefsAfter); nil
	// between passes.
	Cursor       []byte
	Started      int64 // ns since the epoch, of the running or last pass
	Finished     int64 // ns, of the last complete pass; 0 if none yet
	Disks        []int // heal: the disks whose shards the pass rebuilds
	Current      JobCounts
	Last         JobCounts // of the last complete pass
	PendingDisks []int     // heal: disks waiting for the next pass
}

// JobCounts are what a pass saw and did.
type JobCounts struct {
	Blobs       uint64 // blobs examined
	Bytes       uint64 // bytes read from the disks
	Damaged     uint64 // blobs found with a missing, corrupt or unreadable shard
	ShardsBad   uint64 // shards found missing, corrupt or unreadable
	Repaired    uint64 // damaged blobs rewritten to full health
	Unreadable  uint64 // blobs with too few good shards: data lost
	Missing     uint64 // blobs named by metadata with no shard at all
	RepairFails uint64 // repairs that failed (e.g. a disk still dead)
}

const jobStateVersion = 1

func (c *JobCounts) encode(e *enc) {
	for _, v := range []uint64{c.Blobs, c.Bytes, c.Damaged, c.ShardsBad, c.Repaired, c.Unreadable, c.Missing, c.RepairFails} {
		e.uv(v)
	}
}

func (c *JobCounts) decode(d *dec) {
	for _, p := range []*uint64{&c.Blobs, &c.Bytes, &c.Damaged, &c.ShardsBad, &c.Repaired, &c.Unreadable, &c.Missing, &c.RepairFails} {
		*p = d.uv()
	}
}

func encodeInts(e *enc, l []int) {
	e.uv(uint64(len(l)))
	for _, v := range l {
		e.uv(uint64(v))
	}
}

func decodeInts(d *dec) []int {
	n := d.uv()
	if n > 1<<10 {
		d.fail()
		return nil
	}
	var out []int
	for i := uint64(0); i < n && d.err == nil; i++ {
		out = append(out, int(d.uv()))
	}
	return out
}

func (j *JobState) encode() []byte {
	var e enc
	e.u8(jobStateVersion)
	e.uv(j.Pass)
	e.bytes(j.Cursor)
	e.sv(j.Started)
	e.sv(j.Finished)
	encodeInts(&e, j.Disks)
	j.Current.encode(&e)
	j.Last.encode(&e)
	encodeInts(&e, j.PendingDisks)
	return e.b
}

func decodeJobState(b []byte) (JobState, error) {
	d := dec{b: b}
	var j JobState
	if d.u8() != jobStateVersion {
		d.fail()
	}
	j.Pass = d.uv()
	j.Cursor = d.raw()
	if len(j.Cursor) == 0 {
		j.Cursor = nil
	}
	j.Started = d.sv()
	j.Finished = d.sv()
	j.Disks = decodeInts(&d)
	j.Current.decode(&d)
	j.Last.decode(&d)
	j.PendingDisks = decodeInts(&d)
	return j, d.done("job state")
}

func jobKey(name string) string { return "job/" + name }

// JobState reads the state of the named job (the zero state if none).
func (x *Txn) JobState(name string) (JobState, error) {
	v, err := x.Config(jobKey(name))
	if err == ErrNotFound {
		return JobState{}, nil
	}
	if err != nil {
		return JobState{}, err
	}
	j, err := decodeJobState(v)
	if err != nil {
		return JobState{}, fmt.Errorf("job %s: %w", name, err)
	}
	return j, nil
}

// PutJobState writes the state of the named job.
func (x *Txn) PutJobState(name string, j *JobState) error {
	return x.PutConfig(jobKey(name), j.encode())
}
