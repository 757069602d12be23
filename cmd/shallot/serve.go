package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/fuse"
	"github.com/shallot-storage/shallot/meta"
	"github.com/shallot-storage/shallot/objstore"
	"github.com/shallot-storage/shallot/objstore/blob"
	"github.com/shallot-storage/shallot/objstore/disk"
	"github.com/shallot-storage/shallot/s3srv"
)

type serveConfig struct {
	data, mount, s3Addr, disks, ec, domain, region, logLevel, debugAddr string
	noMount, fuseDebug                                                  bool
	syncInterval                                                        time.Duration
	maint                                                               maintConfig
}

func parseServe(args []string) (serveConfig, error) {
	var c serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&c.data, "data", "./shallot-data", "directory for metadata (and shard directories unless --disks)")
	fs.StringVar(&c.mount, "mount", "./mnt", "FUSE mount point")
	fs.StringVar(&c.s3Addr, "s3-addr", "127.0.0.1:9000", "S3 listen address")
	fs.StringVar(&c.disks, "disks", "", "comma-separated shard directories, one per disk (default: K+M directories under --data)")
	fs.StringVar(&c.ec, "ec", "4+2", "erasure coding: K data + M parity shards")
	fs.StringVar(&c.domain, "domain", "", "domain for virtual-hosted-style S3 requests (bucket.DOMAIN)")
	fs.StringVar(&c.region, "region", "us-east-1", "S3 region reported to clients")
	fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	fs.BoolVar(&c.noMount, "no-mount", false, "serve S3 only, without the FUSE mount")
	fs.DurationVar(&c.syncInterval, "sync-interval", time.Second,
		"longest time a change closed through the mount without fsync waits before it is durable (fsync, and every S3 request, wait for the disk)")
	fs.BoolVar(&c.fuseDebug, "fuse-debug", false, "log every FUSE request and reply (at debug level; very verbose)")
	fs.StringVar(&c.debugAddr, "debug-addr", "", "listen address for /healthz and Go's pprof (e.g. 127.0.0.1:6060); off when empty")
	addMaintFlags(fs, &c.maint)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return c, nil
}

func parseEC(s string) (k, m int, err error) {
	a, b, ok := strings.Cut(s, "+")
	if ok {
		k, err = strconv.Atoi(a)
		if err == nil {
			m, err = strconv.Atoi(b)
		}
	}
	if !ok || err != nil || k < 1 || m < 1 || k+m > 32 {
		return 0, 0, fmt.Errorf("--ec %q: want K+M with K, M >= 1 and K+M <= 32", s)
	}
	return k, m, nil
}

// daemon is everything serve starts, for an orderly stop.
type daemon struct {
	log   *logrus.Entry
	db    *meta.DB
	store *objstore.Store
	mount *fuse.Server
	s3    *http.Server
	admin *adminServer
	maint *objstore.Maintenance
}

func runServe(args []string) error {
	c, err := parseServe(args)
	if err != nil {
		return err
	}
	logger := logrus.New()
	level, err := logrus.ParseLevel(c.logLevel)
	if err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	logger.SetLevel(level)
	log := logrus.NewEntry(logger)
	// Catch signals before starting: one that arrives while the mount
	// and the listeners come up is handled once they are up, by a clean
	// stop, rather than killing the process with its mount in place.
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	d, err := start(c, log)
	if err != nil {
		return err
	}
	<-sig
	log.Info("stopping")
	go func() { <-sig; log.Warn("second signal: exiting at once"); os.Exit(1) }()
	return d.stop()
}

func start(c serveConfig, log *logrus.Entry) (*daemon, error) {
	k, m, err := parseEC(c.ec)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	dirs := strings.Split(c.disks, ",")
	if c.disks == "" {
		dirs = nil
		for i := 0; i < k+m; i++ {
			dirs = append(dirs, filepath.Join(c.data, fmt.Sprintf("disk%d", i)))
		}
	}
	if len(dirs) != k+m {
		return nil, fmt.Errorf("--disks names %d directories; --ec %s needs %d", len(dirs), c.ec, k+m)
	}
	d := &daemon{log: log}
	ok := false
	defer func() {
		if !ok {
			d.stop()
		}
	}()
	metaDir := filepath.Join(c.data, "meta")
	mo, err := c.maint.options(metaDir, log)
	if err != nil {
		return nil, err
	}
	if err := checkBeforeOpen(metaDir); err != nil {
		return nil, err
	}
	d.db, err = meta.Open(meta.Options{Dir: metaDir, Log: log})
	if err != nil {
		return nil, err
	}
	if err := checkLayout(d.db, c.ec, len(dirs)); err != nil {
		return nil, err
	}
	disks := make([]disk.Disk, len(dirs))
	for i, dir := range dirs {
		if disks[i], err = disk.NewDir(fmt.Sprintf("disk%d", i), dir); err != nil {
			return nil, fmt.Errorf("shard directory %s: %w", dir, err)
		}
	}
	blobs, err := blob.New(disks, blob.Options{DataShards: k, ParityShards: m, Log: log.WithField("component", "blob")})
	if err != nil {
		return nil, err
	}
	if err := checkAfterOpen(metaDir, d.db, blobs); err != nil {
		return nil, err
	}
	d.store, err = objstore.New(d.db, blobs, objstore.Options{Log: log, SyncInterval: c.syncInterval})
	if err != nil {
		return nil, err
	}
	root, err := d.store.Keys().EnsureRoot(context.Background(), os.Getenv("SHALLOT_ROOT_USER"), os.Getenv("SHALLOT_ROOT_PASSWORD"))
	if err != nil {
		return nil, fmt.Errorf("root key: %w", err)
	}
	if d.maint, err = objstore.StartMaintenance(d.store, mo); err != nil {
		return nil, err
	}
	if d.admin, err = startAdmin(filepath.Join(c.data, adminSocketName), d.store.Keys(), d.maint, log); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", c.s3Addr)
	if err != nil {
		return nil, fmt.Errorf("S3 listener: %w", err)
	}
	handler := s3srv.New(d.store, s3srv.Options{Region: c.region, Domain: c.domain, Log: log.WithField("component", "s3")})
	d.s3 = &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := d.s3.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.WithError(err).Error("S3 server stopped")
		}
	}()
	if c.debugAddr != "" {
		if err := startDebug(c.debugAddr, log); err != nil {
			return nil, err
		}
	}
	mountDir := ""
	if !c.noMount {
		if mountDir, err = filepath.Abs(c.mount); err != nil {
			return nil, err
		}
		if err := prepareMountPoint(mountDir, log); err != nil {
			return nil, err
		}
		if d.mount, err = fuse.Mount(d.store, mountDir, fuse.Options{Log: log.WithField("component", "fuse"), AllowOther: true, Debug: c.fuseDebug}); err != nil {
			return nil, fmt.Errorf("mount %s: %w", mountDir, err)
		}
	}
	ok = true
	printBanner(c, ln.Addr().String(), mountDir, root, dirs, k, m)
	log.WithFields(logrus.Fields{"s3": ln.Addr().String(), "mount": mountDir, "ec": c.ec}).Info("shallot serving")
	return d, nil
}

// checkLayout records the erasure-coding layout on first start and refuses
// a different one later: shards written under one layout cannot be read
// under another.
func checkLayout(db *meta.DB, ec string, ndisks int) error {
	want := fmt.Sprintf("%s/%d", ec, ndisks)
	return db.Update(func(x *meta.Txn) error {
		got, err := x.Config("layout")
		if err == meta.ErrNotFound {
			return x.PutConfig("layout", []byte(want))
		}
		if err != nil {
			return err
		}
		if string(got) != want {
			return fmt.Errorf("this data directory was created with --ec and disks %q, not %q", got, want)
		}
		return nil
	})
}

// prepareMountPoint creates the mount point and clears FUSE mounts of it
// left by a daemon that was killed. A stale mount may still answer stat
// for a moment after its daemon died, so /proc/self/mountinfo decides,
// not stat; mounting over it would stack a second mount on the first.
func prepareMountPoint(dir string, log *logrus.Entry) error {
	for i := 0; i < 8; i++ {
		stale, err := fuseMountedAt(dir)
		if err != nil || !stale {
			break
		}
		log.WithField("mount", dir).Warn("clearing the mount of an earlier run")
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			return fmt.Errorf("clear stale mount %s: %w", dir, err)
		}
	}
	_, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return os.MkdirAll(dir, 0o755)
	}
	return err
}

// fuseMountedAt reports whether a FUSE file system is mounted at dir.
func fuseMountedAt(dir string) (bool, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		sep := slices.Index(fields, "-")
		if len(fields) < 5 || sep < 0 || sep+1 >= len(fields) {
			continue
		}
		if unescapeMountPath(fields[4]) == dir && strings.HasPrefix(fields[sep+1], "fuse") {
			return true, nil
		}
	}
	return false, nil
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+3 < len(p) {
			if v, err := strconv.ParseUint(p[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

func (d *daemon) stop() error {
	var errs []error
	if d.s3 != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := d.s3.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop S3: %w", err))
		}
		cancel()
	}
	if d.mount != nil {
		if err := d.mount.Unmount(); err != nil {
			// Busy (a shell sits in it): detach it from the namespace and
			// give its users a moment to let go before the store closes.
			d.log.WithError(err).Warn("mount busy: detaching it lazily")
			if derr := syscall.Unmount(d.mount.Dir(), syscall.MNT_DETACH); derr != nil {
				errs = append(errs, fmt.Errorf("unmount: %w", derr))
			}
			done := make(chan struct{})
			go func() { d.mount.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				errs = append(errs, fmt.Errorf("mount %s still in use after detaching", d.mount.Dir()))
			}
		}
	}
	if d.admin != nil {
		d.admin.Close()
	}
	if d.maint != nil {
		d.maint.Stop()
	}
	if d.store != nil {
		d.store.Close()
	}
	if d.db != nil {
		if err := d.db.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func printBanner(c serveConfig, addr, mount string, root objstore.AccessKey, dirs []string, k, m int) {
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	fmt.Printf(`
shallot is serving
  mount point   %s
  S3 endpoint   http://%s
  data          %s (metadata in meta/, %d+%d erasure coding over %d shard directories)
  access key    %s
  secret key    %s

Try:
  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s AWS_DEFAULT_REGION=%s
  aws --endpoint-url http://%s s3 mb s3://demo
  echo hello > %s/demo/hello.txt
  aws --endpoint-url http://%s s3 ls s3://demo/

Press Ctrl-C to unmount and stop.
`, orNone(mount), addr, abs(c.data), k, m, len(dirs), root.AccessKey, root.SecretKey,
		root.AccessKey, root.SecretKey, c.region, addr, orNone(mount), addr)
}

func orNone(s string) string {
	if s == "" {
		return "(none: --no-mount)"
	}
	return s
}
