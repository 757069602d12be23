package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/shallot-storage/shallot/objstore/disk"
)

// runFsck checks (and with --repair fixes) a stopped daemon's data. It
// opens the metadata itself, so it refuses to run while a daemon holds it:
// a running daemon has blobs written for commits still to come, which an
// offline check would take for orphans. It exits with e2fsck's codes: 0
// clean, 1 problems found and all repaired, 4 problems left, 8 it could
// not run.
func runFsck(args []string) error {
	fs := flag.NewFlagSet("fsck", flag.ContinueOnError)
	data := fs.String("data", "./shallot-data", "the daemon's data directory (the daemon must be stopped)")
	disks := fs.String("disks", "", "comma-separated shard directories, as given to serve (default: the ones under --data)")
	repair := fs.Bool("repair", false, "fix what can be fixed without guessing, and say what was done")
	check := fs.String("check-data", "full", "how much blob data to read: full (every shard), headers (existence only), none")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	mode, ok := map[string]objstore.FsckData{"full": objstore.FsckDataFull, "headers": objstore.FsckDataHeaders,
		"none": objstore.FsckDataNone}[*check]
	if !ok {
		return fmt.Errorf("--check-data %q: want full, headers or none", *check)
	}
	rep, err := fsckOffline(*data, *disks, objstore.FsckOptions{Repair: *repair, Data: mode})
	if err != nil {
		fmt.Fprintf(os.Stderr, "shallot fsck: %v\n", err)
		os.Exit(8)
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(rep)
	} else {
		printFsck(os.Stdout, rep)
	}
	os.Exit(rep.ExitCode())
	return nil
}

// openOffline opens the metadata and blob layer of a stopped daemon.
func openOffline(data, disksFlag string, log *logrus.Entry) (*meta.DB, *blob.Store, error) {
	metaDir := filepath.Join(data, "meta")
	if _, err := os.Stat(metaDir); err != nil {
		return nil, nil, fmt.Errorf("no shallot data in %s: %w", data, err)
	}
	if err := checkBeforeOpen(metaDir); err != nil {
		return nil, nil, err
	}
	db, err := meta.Open(meta.Options{Dir: metaDir, Log: log})
	if errors.Is(err, meta.ErrLocked) {
		return nil, nil, fmt.Errorf("the daemon is running on %s (it holds the metadata): stop it first, fsck works offline (shallot status and shallot heal work with it running)", data)
	}
	if err != nil {
		return nil, nil, err
	}
	var layout []byte
	if err := db.View(func(x *meta.Txn) (err error) { layout, err = x.Config("layout"); return }); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("read the layout of %s (was it ever started?): %w", data, err)
	}
	ec, n, _ := strings.Cut(string(layout), "/")
	k, m, err := parseEC(ec)
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("layout %q: %w", layout, err)
	}
	dirs := shardDirs(data, disksFlag, k+m)
	if fmt.Sprint(len(dirs)) != n {
		db.Close()
		return nil, nil, fmt.Errorf("--disks names %d directories; the data was written over %s", len(dirs), n)
	}
	ds := make([]disk.Disk, len(dirs))
	for i, dir := range dirs {
		if _, err := os.Stat(dir); err != nil {
			// A missing directory is a lost disk: check with the others
			// rather than create it here.
			ds[i] = missingDisk{id: fmt.Sprintf("disk%d", i), err: err}
			continue
		}
		if ds[i], err = disk.NewDir(fmt.Sprintf("disk%d", i), dir); err != nil {
			db.Close()
			return nil, nil, err
		}
	}
	quiet := logrus.New()
	quiet.SetLevel(logrus.ErrorLevel)
	blobs, err := blob.New(ds, blob.Options{DataShards: k, ParityShards: m, Log: logrus.NewEntry(quiet)})
	if err == nil {
		err = checkAfterOpen(metaDir, db, blobs)
	}
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, blobs, nil
}

// checkBeforeOpen looks for damage badger would not report well (it
// panics on a truncated table).
func checkBeforeOpen(metaDir string) error { return meta.CheckTables(metaDir) }

// checkAfterOpen refuses metadata that lost committed transactions, or
// that is not the metadata the shard directories were written with: both
// would otherwise lose data silently (the second by orphan collection).
func checkAfterOpen(metaDir string, db *meta.DB, blobs *blob.Store) error {
	if err := meta.CheckDamage(db, meta.CheckpointFile(metaDir)); err != nil {
		return err
	}
	return objstore.CheckIdentity(context.Background(), db, blobs)
}

// shardDirs lists the shard directories as serve does.
func shardDirs(data, disksFlag string, n int) []string {
	if disksFlag != "" {
		return strings.Split(disksFlag, ",")
	}
	var dirs []string
	for i := 0; i < n; i++ {
		dirs = append(dirs, filepath.Join(data, fmt.Sprintf("disk%d", i)))
	}
	return dirs
}

func fsckOffline(data, disks string, opts objstore.FsckOptions) (*objstore.FsckReport, error) {
	log := logrus.New()
	log.SetLevel(logrus.WarnLevel)
	db, blobs, err := openOffline(data, disks, logrus.NewEntry(log))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	opts.Log = logrus.NewEntry(log)
	return objstore.Fsck(context.Background(), db, blobs, opts)
}

func printFsck(w io.Writer, rep *objstore.FsckReport) {
	st := rep.Stats
	fmt.Fprintf(w, "checked %d inodes (%d directories, %d files), %d entries, %d extents, %d blobs (%d bytes, %d read), %d uploads with %d parts\n",
		st.Inodes, st.Dirs, st.Files, st.Entries, st.Extents, st.Blobs, st.BlobBytes, st.BlobsChecked, st.Uploads, st.Parts)
	if len(rep.Problems) == 0 {
		fmt.Fprintln(w, "no problems found")
		return
	}
	probs := append([]objstore.FsckProblem(nil), rep.Problems...)
	sort.SliceStable(probs, func(i, j int) bool {
		if probs[i].Kind != probs[j].Kind {
			return probs[i].Kind < probs[j].Kind
		}
		return probs[i].Object < probs[j].Object
	})
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	col := "REPAIRABLE"
	if rep.Repaired {
		col = "REPAIR"
	}
	fmt.Fprintf(tw, "KIND\tOBJECT\tDETAIL\t%s\n", col)
	repairable, fixed := 0, 0
	for _, p := range probs {
		state := "no"
		if p.Repairable {
			repairable++
			state = "yes"
		}
		if rep.Repaired {
			switch {
			case p.Repaired:
				fixed++
				state = "repaired"
			case p.RepairErr != "":
				state = "FAILED: " + p.RepairErr
			case p.Repairable:
				state = "not attempted"
			default:
				state = "no (cannot be fixed without guessing)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", p.Kind, p.Object, p.Detail, state)
	}
	tw.Flush()
	if !rep.Repaired {
		fmt.Fprintf(w, "%d problems, %d repairable: run shallot fsck --repair to fix them\n", len(probs), repairable)
		return
	}
	fmt.Fprintf(w, "%d problems, %d repaired\n", len(probs), fixed)
	if len(rep.Remaining) == 0 {
		fmt.Fprintln(w, "a check after the repairs finds no problems")
		return
	}
	fmt.Fprintf(w, "a check after the repairs still finds %d problems:\n", len(rep.Remaining))
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range rep.Remaining {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", p.Kind, p.Object, p.Detail)
	}
	tw.Flush()
}

// missingDisk stands for a shard directory that is gone: every operation
// fails, as a dead disk's would, so the check goes on with the others.
type missingDisk struct {
	id  string
	err error
}

var _ disk.Disk = missingDisk{}

func (d missingDisk) ID() string { return d.id }
func (d missingDisk) WriteFile(context.Context, string, ...[]byte) error {
	return fmt.Errorf("disk %s: %w", d.id, d.err)
}
func (d missingDisk) ReadAt(context.Context, string, []byte, int64) (int, error) {
	return 0, fmt.Errorf("disk %s: %w", d.id, d.err)
}
func (d missingDisk) Remove(context.Context, string) error {
	return fmt.Errorf("disk %s: %w", d.id, d.err)
}
func (d missingDisk) List(context.Context, func(string) error) error {
	return fmt.Errorf("disk %s: %w", d.id, d.err)
}
func (d missingDisk) Stat(context.Context) (disk.Usage, error) {
	return disk.Usage{}, fmt.Errorf("disk %s: %w", d.id, d.err)
}
