package fuse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	fusefs "github.com/hanwen/go-fuse/v2/fs"
	gofuse "github.com/hanwen/go-fuse/v2/fuse"
	"github.com/sirupsen/logrus"

	"github.com/shallot-storage/shallot/objstore"
)

// Default cache timeouts. They bound how long the kernel trusts what it
// cached only if an invalidation were ever lost; in normal operation every
// change from another door is invalidated before that door's call returns,
// so the timeouts are a performance knob, not a consistency one.
const (
	DefaultAttrTimeout  = time.Second
	DefaultEntryTimeout = time.Second
)

const (
	// maxWrite is the largest READ and WRITE request the kernel sends: one
	// request per MiB keeps the per-request overhead (two context switches
	// and a store call) small next to the data it moves.
	maxWrite = 1 << 20
	// maxReadAhead is asked for; the kernel caps it at its own maximum.
	maxReadAhead = 1 << 20
	// maxBackground bounds the kernel's asynchronous requests (read-ahead);
	// go-fuse's default of 12 starves parallel sequential readers.
	maxBackground = 64
	// blockSize is reported as st_blksize, the I/O size tools such as cp
	// and stdio buffer by; it matches maxWrite.
	blockSize = maxWrite
)

// Options configure a mount.
type Options struct {
	// AttrTimeout is how long the kernel may cache attributes; 0 means
	// DefaultAttrTimeout.
	AttrTimeout time.Duration
	// EntryTimeout is how long the kernel may cache names, found or not
	// found; 0 means DefaultEntryTimeout.
	EntryTimeout time.Duration
	// Log receives the door's diagnostics; nil discards them.
	Log *logrus.Entry
	// Debug logs every FUSE request and reply (at debug level of Log).
	Debug bool
	// AllowOther lets users other than the mounting one use the mount. The
	// kernel then checks permissions against the store's modes
	// (default_permissions), as on a local file system.
	AllowOther bool
}

// Server is a mounted namespace. Its methods are safe for concurrent use.
type Server struct {
	store *objstore.Store
	log   *logrus.Entry
	dir   string

	// raw is set once the kernel connection exists; change events that
	// arrive earlier have nothing cached to invalidate.
	raw atomic.Pointer[gofuse.Server]
	// unmounted turns the change subscription into a no-op between the
	// kernel dropping the mount and unsubscribe running.
	unmounted   atomic.Bool
	unsubscribe func()

	// atimes are read accesses not yet written (atime.go).
	atimes atimes

	// loggedMu guards logged, the unknown error types already logged
	// (see logUnknown).
	loggedMu sync.Mutex
	logged   map[string]bool
}

// Mount mounts store on dir and serves it until Unmount. The caller must be
// root (the mount is made with mount(2), without fusermount).
func Mount(store *objstore.Store, dir string, opts Options) (*Server, error) {
	if opts.AttrTimeout <= 0 {
		opts.AttrTimeout = DefaultAttrTimeout
	}
	if opts.EntryTimeout <= 0 {
		opts.EntryTimeout = DefaultEntryTimeout
	}
	if opts.Log == nil {
		l := logrus.New()
		l.SetOutput(io.Discard)
		opts.Log = logrus.NewEntry(l)
	}
	s := &Server{store: store, log: opts.Log, dir: dir, logged: map[string]bool{}}

	ctx := objstore.WithOrigin(context.Background(), objstore.OriginMount)
	rootAttr, err := store.GetAttr(ctx, objstore.RootIno)
	if err != nil {
		return nil, fmt.Errorf("fuse: mount %s: root attributes: %w", dir, err)
	}

	attrTimeout, entryTimeout := opts.AttrTimeout, opts.EntryTimeout
	fsOpts := &fusefs.Options{
		MountOptions: gofuse.MountOptions{
			FsName:        "shallot",
			Name:          "shallot",
			DirectMount:   true,
			AllowOther:    opts.AllowOther,
			MaxWrite:      maxWrite,
			MaxReadAhead:  maxReadAhead,
			MaxBackground: maxBackground,
			// O_DIRECT opens bypass the page cache (openFlags); a local
			// file system still lets them be mapped, and so does the
			// kernel with this capability (it then keeps the mapping's
			// pages and the direct I/O coherent).
			ExtraCapabilities: gofuse.CAP_DIRECT_IO_ALLOW_MMAP,
			// The store knows nothing of the caller for most operations;
			// the kernel checks mode bits against the attributes we report.
			Options: []string{"default_permissions"},
			// Symlinks never change in place (a new target is a new
			// inode), and content invalidation drops a cached target too.
			EnableSymlinkCaching: true,
			Debug:                opts.Debug,
			Logger:               log.New(logWriter{opts.Log, logrus.DebugLevel}, "", 0),
		},
		AttrTimeout:  &attrTimeout,
		EntryTimeout: &entryTimeout,
		// A name created through S3 is announced by an entry
		// invalidation, which clears a negative entry as well.
		NegativeTimeout: &entryTimeout,
		// Kernel node id == store inode number, so a change event can be
		// turned into a notification without a table of live nodes (see
		// doc.go, "Invalidation").
		ExternalNodeID: true,
		RootStableAttr: &fusefs.StableAttr{Ino: uint64(objstore.RootIno), Gen: rootAttr.Gen},
		// The store's mode bits are the truth, mode 0 included.
		NullPermissions: true,
		Logger:          log.New(logWriter{opts.Log, logrus.WarnLevel}, "go-fuse: ", 0),
	}

	root := &node{srv: s}
	raw, err := gofuse.NewServer(fusefs.NewNodeFS(root, fsOpts), dir, &fsOpts.MountOptions)
	if err != nil {
		return nil, fmt.Errorf("fuse: mount %s: %w", dir, err)
	}
	s.raw.Store(raw)
	s.unsubscribe = store.Subscribe(s.invalidate)
	go raw.Serve()
	if err := raw.WaitMount(); err != nil {
		s.unmounted.Store(true)
		s.unsubscribe()
		_ = raw.Unmount()
		return nil, fmt.Errorf("fuse: mount %s: %w", dir, err)
	}
	if err := setReadAhead(dir, readAheadKB); err != nil {
		// Only slower: reads work with the kernel's default.
		s.log.WithError(err).Warn("kernel read-ahead left at its default")
	}
	s.log.WithField("dir", dir).Info("mounted")
	return s, nil
}

// Unmount detaches the mount and waits for the request loops to end. It
// fails (EBUSY) while a process uses the mount; the mount then stays
// served.
func (s *Server) Unmount() error {
	raw := s.raw.Load()
	if err := raw.Unmount(); err != nil {
		return fmt.Errorf("fuse: unmount %s: %w", s.dir, err)
	}
	s.unmounted.Store(true)
	s.unsubscribe()
	s.flushAtimes()
	s.log.WithField("dir", s.dir).Info("unmounted")
	return nil
}

// Wait returns when the mount has been unmounted, by Unmount or from
// outside (umount(8)).
func (s *Server) Wait() {
	s.raw.Load().Wait()
	s.unmounted.Store(true)
	s.flushAtimes()
}

// Dir is the mount point.
func (s *Server) Dir() string { return s.dir }

// ctx tags a request's context so the store reports the change as the
// mount's own, which the invalidation skips: the kernel already knows.
//
// It also drops the request's cancellation. The kernel interrupts a
// request whenever the calling thread gets any signal, and Go programs get
// SIGURG (goroutine preemption) all the time: honouring that would make
// ftruncate, write or rename fail with EINTR at random, which no local
// file system does and few programs retry, and could leave an operation
// half done. A fatal signal still ends the caller's wait in the kernel;
// the store call then completes and its answer is dropped.
func (s *Server) ctx(ctx context.Context) context.Context {
	return objstore.WithOrigin(context.WithoutCancel(ctx), objstore.OriginMount)
}

// errno translates a store error for the kernel, logging the ones outside
// the vocabulary: the kernel will only ever see EIO for them.
func (s *Server) errno(op string, err error, kind permKind) syscall.Errno {
	e, known := toErrno(err, kind)
	if !known {
		s.logUnknown(op, err)
	}
	return e
}

// logUnknown logs an unmapped error once per (operation, error type), so a
// failing store does not flood the log at the kernel's request rate.
func (s *Server) logUnknown(op string, err error) {
	root := err
	for {
		next := errors.Unwrap(root)
		if next == nil {
			break
		}
		root = next
	}
	key := fmt.Sprintf("%s %T", op, root)
	s.loggedMu.Lock()
	seen := s.logged[key]
	s.logged[key] = true
	s.loggedMu.Unlock()
	entry := s.log.WithField("op", op).WithError(err)
	if seen {
		entry.Debug("unmapped store error answered EIO")
		return
	}
	entry.Error("unmapped store error answered EIO (logged once per op and type)")
}

// logWriter lets go-fuse's *log.Logger write into logrus without the pipe
// and goroutine that logrus.Entry.WriterLevel would leave behind per mount.
type logWriter struct {
	entry *logrus.Entry
	level logrus.Level
}

func (w logWriter) Write(p []byte) (int, error) {
	w.entry.Log(w.level, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
