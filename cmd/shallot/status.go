package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore"
)

// maintConfig holds serve's flags for the background scrub and heal.
type maintConfig struct {
	scrubRate, healRate                              string
	scrubInterval, probeInterval, checkpointInterval time.Duration
}

func addMaintFlags(fs *flag.FlagSet, c *maintConfig) {
	fs.StringVar(&c.scrubRate, "scrub-rate", "16MiB", "bytes per second the background scrub reads (e.g. 64MiB); off disables it")
	fs.DurationVar(&c.scrubInterval, "scrub-interval", 24*time.Hour, "time from the start of one scrub pass to the next")
	fs.StringVar(&c.healRate, "heal-rate", "128MiB", "bytes per second healing reads; 0 for unbounded")
	fs.DurationVar(&c.probeInterval, "probe-interval", 10*time.Second, "how often the shard directories are checked")
	fs.DurationVar(&c.checkpointInterval, "checkpoint-interval", 2*time.Second,
		"how often a metadata checkpoint is written (commits the metadata loses before the last one are noticed at the next start)")
}

func (c maintConfig) options(metaDir string, log *logrus.Entry) (objstore.MaintenanceOptions, error) {
	o := objstore.MaintenanceOptions{ScrubInterval: c.scrubInterval, ProbeInterval: c.probeInterval, Log: log,
		CheckpointFile: meta.CheckpointFile(metaDir), CheckpointInterval: c.checkpointInterval}
	var err error
	if c.scrubRate == "off" {
		o.ScrubRate = -1
	} else if o.ScrubRate, err = parseBytes(c.scrubRate); err != nil || o.ScrubRate <= 0 {
		return o, fmt.Errorf("--scrub-rate %q: want a size per second such as 16MiB, or off", c.scrubRate)
	}
	if o.HealRate, err = parseBytes(c.healRate); err != nil {
		return o, fmt.Errorf("--heal-rate %q: want a size per second such as 128MiB, or 0", c.healRate)
	}
	if o.HealRate == 0 {
		o.HealRate = -1
	}
	return o, nil
}

// parseBytes reads "123", "64K", "16MiB", "1G"... (powers of 1024).
func parseBytes(s string) (int64, error) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	v, err := strconv.ParseInt(s[:i], 10, 64)
	shift, ok := map[string]uint{"": 0, "b": 0, "k": 10, "kb": 10, "kib": 10, "m": 20, "mb": 20, "mib": 20,
		"g": 30, "gb": 30, "gib": 30, "t": 40, "tb": 40, "tib": 40}[strings.ToLower(s[i:])]
	if err != nil || !ok || v > 1<<62>>shift {
		return 0, fmt.Errorf("size %q: %w", s, strconv.ErrSyntax)
	}
	return v << shift, nil
}

// registerMaintenance serves status, heal and scrub on the admin socket.
func registerMaintenance(mux *http.ServeMux, m *objstore.Maintenance) {
	reply := func(w http.ResponseWriter, v any, err error) {
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) { reply(w, m.Status(), nil) })
	mux.HandleFunc("POST /heal", func(w http.ResponseWriter, r *http.Request) {
		c, err := m.Heal(r.Context())
		reply(w, c, err)
	})
	mux.HandleFunc("POST /scrub", func(w http.ResponseWriter, r *http.Request) {
		c, err := m.Scrub(r.Context(), r.URL.Query().Get("wait") != "")
		reply(w, c, err)
	})
}

// adminCall sends one request to the daemon's admin socket. It reports
// errNoDaemon when no daemon listens there.
func adminCall(data, method, path string, out any) error {
	sock := filepath.Join(data, adminSocketName)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	req, _ := http.NewRequest(method, "http://shallot"+path, nil)
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return errNoDaemon
		}
		return fmt.Errorf("daemon socket %s: %w", sock, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("daemon answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Error string }
		json.Unmarshal(body, &e)
		return fmt.Errorf("daemon: %s", e.Error)
	}
	return json.Unmarshal(body, out)
}

var errNoDaemon = errors.New("no daemon is running")

// runStatus prints the disks, degraded and lost blobs, and the state of
// the scrub and the heal: from the running daemon, or from the stopped
// daemon's data (disks probed now, jobs as last saved).
func runStatus(args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	data := fs.String("data", "./shallot-data", "the daemon's data directory")
	disks := fs.String("disks", "", "shard directories as given to serve (only needed when the daemon is stopped)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var st objstore.MaintenanceStatus
	running := true
	err := adminCall(*data, "GET", "/status", &st)
	if errors.Is(err, errNoDaemon) {
		running = false
		st, err = offlineStatus(*data, *disks)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	printStatus(os.Stdout, st, running)
	return nil
}

// offlineStatus builds the status of a stopped daemon's data.
func offlineStatus(data, disks string) (objstore.MaintenanceStatus, error) {
	log := logrus.New()
	log.SetLevel(logrus.ErrorLevel)
	db, blobs, err := openOffline(data, disks, logrus.NewEntry(log))
	if err != nil {
		return objstore.MaintenanceStatus{}, err
	}
	defer db.Close()
	var scrub, heal meta.JobState
	var id []byte
	err = db.View(func(x *meta.Txn) error {
		id, _ = x.Config("store-id")
		if scrub, err = x.JobState("scrub"); err != nil {
			return err
		}
		heal, err = x.JobState("heal")
		return err
	})
	if err != nil {
		return objstore.MaintenanceStatus{}, err
	}
	st := objstore.MaintenanceStatus{Probed: time.Now(), DegradedBlobs: -1, DegradedNote: "the daemon is stopped",
		LostBlobs: scrub.Last.Unreadable + scrub.Last.Missing}
	for _, d := range blobs.ProbeDisks(context.Background(), string(id)) {
		r := objstore.DiskReport{Index: d.Index, ID: d.ID, Path: d.Path, State: d.State.String(), Total: d.Total, Free: d.Free}
		if d.Err != nil {
			r.Error = d.Err.Error()
		}
		for _, p := range heal.PendingDisks {
			r.PendingHeal = r.PendingHeal || p == d.Index
		}
		st.Disks = append(st.Disks, r)
	}
	st.Scrub = offlineJob(scrub)
	st.Heal = offlineJob(heal)
	return st, nil
}

func offlineJob(j meta.JobState) objstore.JobReport {
	r := objstore.JobReport{Pass: j.Pass, Current: j.Current, Last: j.Last, Pending: j.PendingDisks}
	if j.Cursor != nil {
		r.Disks = j.Disks
	} else {
		r.Current = meta.JobCounts{}
	}
	if j.Started != 0 {
		r.Started = time.Unix(0, j.Started)
	}
	if j.Finished != 0 {
		r.Finished = time.Unix(0, j.Finished)
	}
	return r
}

func printStatus(w io.Writer, st objstore.MaintenanceStatus, running bool) {
	if !running {
		fmt.Fprintln(w, "daemon: stopped (disks probed now; jobs as last saved)")
	} else {
		fmt.Fprintf(w, "daemon: running (disks probed %s ago)\n", time.Since(st.Probed).Round(time.Second))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DISK\tSTATE\tFREE\tSIZE\tPATH\tNOTE")
	for _, d := range st.Disks {
		note := d.Error
		if d.PendingHeal {
			note = strings.TrimPrefix(note+"; waits for healing", "; ")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.State, human(d.Free), human(d.Total), d.Path, note)
	}
	tw.Flush()
	switch {
	case st.DegradedBlobs < 0:
		fmt.Fprintf(w, "degraded blobs: unknown (%s)\n", st.DegradedNote)
	default:
		fmt.Fprintf(w, "degraded blobs: %d (%s)\n", st.DegradedBlobs, st.DegradedNote)
	}
	if st.LostBlobs > 0 {
		fmt.Fprintf(w, "LOST blobs (too few good shards, found by the last scrub): %d: see the daemon log and run shallot fsck\n", st.LostBlobs)
	}
	printJob(w, "scrub", st.Scrub, running)
	printJob(w, "heal", st.Heal, running)
}

func printJob(w io.Writer, name string, j objstore.JobReport, running bool) {
	rate := "unbounded"
	switch {
	case !running:
		rate = "as configured"
	case j.Rate > 0:
		rate = human(uint64(j.Rate)) + "/s"
	case name == "scrub":
		rate = "background scrub off"
	}
	switch {
	case j.Pass == 0:
		fmt.Fprintf(w, "%s: no pass yet (rate %s)\n", name, rate)
	case j.Running || j.Current.Blobs > 0:
		progress := ""
		if j.Last.Blobs > 0 {
			progress = fmt.Sprintf(", about %d%% of the last pass's %d", min(100, 100*j.Current.Blobs/j.Last.Blobs), j.Last.Blobs)
		}
		disks := ""
		if len(j.Disks) > 0 {
			disks = fmt.Sprintf(" rebuilding disks %v,", j.Disks)
		}
		fmt.Fprintf(w, "%s: pass %d running since %s,%s %d blobs done%s (rate %s): %s\n", name, j.Pass,
			j.Started.Format(time.DateTime), disks, j.Current.Blobs, progress, rate, countLine(j.Current))
	default:
		fmt.Fprintf(w, "%s: idle (rate %s)\n", name, rate)
	}
	if !j.Finished.IsZero() {
		fmt.Fprintf(w, "%s: last complete pass finished %s: %s\n", name, j.Finished.Format(time.DateTime), countLine(j.Last))
	}
	if len(j.Pending) > 0 && name == "heal" {
		fmt.Fprintf(w, "heal: disks waiting: %v\n", j.Pending)
	}
}

func countLine(c meta.JobCounts) string {
	return fmt.Sprintf("%d blobs, %s read, %d damaged (%d shards), %d repaired, %d unreadable, %d missing, %d repair failures",
		c.Blobs, human(c.Bytes), c.Damaged, c.ShardsBad, c.Repaired, c.Unreadable, c.Missing, c.RepairFails)
}

func human(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%dB", n)
	}
	div, exp := uint64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
