package objstore

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/sirupsen/logrus"
)

// Fsck checks every invariant that ties the metadata and the blobs
// together, and with Repair fixes what can be fixed without guessing. It
// works on a database and blob layer that no Store is using (the daemon
// is stopped): blobs written for a commit still to come would look like
// orphans to it.
//
// What it checks (each problem Kind names one):
//   - every record decodes;
//   - every directory entry lives in an existing directory, points at an
//     existing inode, and carries the child's type;
//   - link counts (a file: its names; a directory: 2 + its
//     subdirectories), a directory's parent, and every directory
//     reachable from the root;
//   - an inode without names is either marked orphan (freed at the next
//     start) or is lost;
//   - extents are sorted, non-overlapping, non-empty and within the file
//     size, and lie inside their blob; inline content within the size;
//     the stored-bytes count agrees with them;
//   - a blob belongs to exactly one inode or one multipart part;
//   - every named blob exists and every block of it has at least k good
//     shards (FsckDataFull reads every shard; FsckDataHeaders only the
//     headers);
//   - every multipart part belongs to an upload whose bucket exists;
//   - no blob on the disks is named by nothing (an orphan).
//
// Repairs, in order, re-checking in between: drop entries that point
// nowhere or live nowhere, fix entry types, parents and orphan marks, trim
// extents and inline bytes past the size, drop records of missing inodes
// and multipart state without a bucket or upload, rewrite damaged shards
// (blob.Repair), give a second owner of a shared blob its own copy; then
// free inodes with no names and no links, and move inodes with links but
// no names to /lost+found (as "#<ino>"); then fix link counts and stored
// bytes; last, delete blobs nothing names. Lost data (a blob with too few
// good shards, overlapping extents, a record that does not decode) is
// reported and left alone.
func Fsck(ctx context.Context, db *meta.DB, blobs *blob.Store, opts FsckOptions) (*FsckReport, error) {
	opts.setDefaults()
	c := &fscker{db: db, blobs: blobs, opts: opts, log: opts.Log.WithField("component", "fsck"),
		blobState: map[uint64]*blobCheck{}, deleted: map[uint64]bool{}}
	rep := &FsckReport{}
	found, err := c.pass(ctx, true)
	if err != nil {
		return nil, err
	}
	rep.Stats = c.stats
	rep.Problems = found
	if !opts.Repair {
		return rep, nil
	}
	index := map[string]int{}
	for i, p := range rep.Problems {
		index[p.key] = i
	}
	probs := found
	for round := 0; round < maxRepairRounds; round++ {
		tier := 0
		for _, p := range probs {
			if p.fix != nil && !c.attempted[p.key] && (tier == 0 || p.tier < tier) {
				tier = p.tier
			}
		}
		if tier == 0 {
			break
		}
		for _, p := range probs {
			if p.fix == nil || p.tier != tier || c.attempted[p.key] {
				continue
			}
			c.attempted[p.key] = true
			err := p.fix(ctx)
			i, ok := index[p.key]
			if !ok {
				// Revealed by an earlier repair (e.g. a link count after a
				// dangling entry was dropped).
				i = len(rep.Problems)
				index[p.key] = i
				rep.Problems = append(rep.Problems, p)
			}
			if err != nil {
				rep.Problems[i].RepairErr = err.Error()
				c.log.WithError(err).WithFields(logrus.Fields{"kind": p.Kind, "object": p.Object}).Warn("repair failed")
			} else {
				rep.Problems[i].Repaired = true
			}
		}
		if tier == tierBlobsGone {
			// See that the deletions took: list the disks again.
			c.listOrphans(ctx)
			clear(c.deleted)
		}
		if probs, err = c.pass(ctx, false); err != nil {
			return nil, err
		}
	}
	rep.Remaining = probs
	rep.Repaired = true
	return rep, nil
}

// maxRepairRounds bounds the check-repair loop; each round repairs one
// tier, and there are four.
const maxRepairRounds = 8

// FsckData says how much of the blob data Fsck reads.
type FsckData uint8

const (
	// FsckDataFull reads and verifies every shard of every named blob.
	FsckDataFull FsckData = iota
	// FsckDataHeaders reads every shard's header: existence and size.
	FsckDataHeaders
	// FsckDataNone checks the metadata only (and orphan blobs).
	FsckDataNone
)

// FsckOptions configure Fsck.
type FsckOptions struct {
	Repair bool
	Data   FsckData
	// Workers check blobs in parallel (default 4).
	Workers int
	Log     *logrus.Entry
	// Progress, when set, is called now and then with the blobs checked
	// and the blobs to check.
	Progress func(done, total int)
	// Now is the clock (for the times of a created lost+found).
	Now func() time.Time
}

func (o *FsckOptions) setDefaults() {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Log == nil {
		o.Log = logrus.NewEntry(logrus.StandardLogger())
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// FsckProblem is one broken invariant.
type FsckProblem struct {
	Kind   string // e.g. "dangling-entry", "link-count", "blob-damaged"
	Object string // what it concerns: "inode 42 /bucket/key", "blob 000000000000001f", ...
	Detail string
	// Repairable: Fsck with Repair knows how to fix it without guessing.
	Repairable bool
	Repaired   bool
	RepairErr  string

	key  string // Kind and a stable id of Object, to match across rounds
	tier int    // repair order; 0 when not repairable
	fix  func(context.Context) error
}

// FsckStats count what Fsck looked at.
type FsckStats struct {
	Inodes, Dirs, Files, Entries, Extents uint64
	Blobs, BlobBytes                      uint64 // named blobs, their size
	BlobsChecked                          uint64
	Uploads, Parts                        uint64
	OrphanBlobs                           uint64
}

// FsckReport is what Fsck found and did.
type FsckReport struct {
	Stats FsckStats
	// Problems are those the first check found, plus any a repair
	// revealed, with the outcome of their repair.
	Problems []FsckProblem
	// Repaired: Fsck ran with Repair; Remaining is then what the check
	// after the repairs still finds.
	Repaired  bool
	Remaining []FsckProblem
}

// Fsck exit codes, as e2fsck's: nothing wrong; everything found was
// repaired; problems remain.
const (
	FsckClean     = 0
	FsckFixed     = 1
	FsckUnrepairs = 4
)

// ExitCode summarises the report for a command's exit status.
func (r *FsckReport) ExitCode() int {
	switch {
	case len(r.Problems) == 0:
		return FsckClean
	case r.Repaired && len(r.Remaining) == 0:
		return FsckFixed
	}
	return FsckUnrepairs
}

// fscker is one Fsck run.
type fscker struct {
	db    *meta.DB
	blobs *blob.Store
	opts  FsckOptions
	log   *logrus.Entry
	stats FsckStats

	// blobState caches blob checks across rounds: data is read once.
	blobState map[uint64]*blobCheck
	// listed are the blobs found on the disks by the first round.
	listed    []uint64
	listErr   error
	deleted   map[uint64]bool
	attempted map[string]bool
}

// pass runs one full check and returns the problems, each with its fix,
// in repair order.
func (c *fscker) pass(ctx context.Context, first bool) ([]FsckProblem, error) {
	if c.attempted == nil {
		c.attempted = map[string]bool{}
	}
	m := newFsckModel(c)
	if err := c.db.View(func(x *meta.Txn) error { m.reset(); return m.load(x) }); err != nil {
		return nil, fmt.Errorf("fsck: read metadata: %w", err)
	}
	m.analyse()
	if first {
		if err := c.checkBlobs(ctx, m); err != nil {
			return nil, err
		}
		c.listOrphans(ctx)
		c.stats = m.stats
	}
	c.blobProblems(m)
	c.orphanProblems(m)
	if first {
		c.stats.OrphanBlobs = 0
		for _, p := range m.problems {
			if p.Kind == "orphan-blob" {
				c.stats.OrphanBlobs++
			}
		}
	}
	out := m.problems
	for i := range out {
		out[i].Repairable = out[i].fix != nil
		if out[i].fix == nil {
			out[i].tier = 0
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].tier < out[j].tier })
	return out, nil
}
