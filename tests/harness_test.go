// Package tests is shallot's end-to-end suite: it starts the real daemon
// binary (bin/shallot, built by `make build`) on temporary directories and
// drives it with real clients (aws cli v1 and v2, boto3 old and new,
// rclone, s3cmd, curl) and with ordinary tools through the FUSE mount.
//
// Most tests share one daemon (sharedDaemon), started on first use and
// stopped by TestMain. Tests that hurt a daemon (faults, restarts, key
// changes that matter to others) start their own with startDaemon. Every
// daemon is stopped in a cleanup, and its mount is always released, even
// when the test fails or the daemon hangs.
package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// fuseSuperMagic is f_type of a FUSE file system in statfs(2).
const fuseSuperMagic = 0x65735546

// The root key every test daemon is started with.
const (
	rootAccessKey = "shallotroot"
	rootSecretKey = "shallot-root-secret-key-0123456789"
)

// daemonOptions choose how a daemon is started; the zero value is the
// default layout (4+2 over shard directories under the data directory).
type daemonOptions struct {
	// Disks, when set, are passed as --disks (one directory per shard).
	Disks []string
	// EC, when set, is passed as --ec.
	EC string
}

// daemon is one running (or stopped) shallot serve process.
type daemon struct {
	logf    func(format string, args ...any)
	bin     string
	base    string // temporary directory holding everything below
	Data    string
	Mount   string
	Addr    string // host:port of the S3 door
	LogPath string
	opts    daemonOptions

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	logF *os.File
}

// Endpoint is the S3 endpoint URL.
func (d *daemon) Endpoint() string { return "http://" + d.Addr }

// daemonBinary finds the daemon binary: $SHALLOT_BIN, else bin/shallot at the
// repository root.
func daemonBinary() (string, error) {
	if b := os.Getenv("SHALLOT_BIN"); b != "" {
		return filepath.Abs(b)
	}
	b, err := filepath.Abs(filepath.Join("..", "bin", "shallot"))
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(b); err != nil {
		return "", fmt.Errorf("daemon binary %s missing: run `make build` (or `make e2e`) first, or set SHALLOT_BIN: %w", b, err)
	}
	return b, nil
}

// newDaemon prepares (but does not start) a daemon under base.
func newDaemon(base string, opts daemonOptions, logf func(string, ...any)) (*daemon, error) {
	bin, err := daemonBinary()
	if err != nil {
		return nil, err
	}
	d := &daemon{logf: logf, bin: bin, base: base, opts: opts,
		Data: filepath.Join(base, "data"), Mount: filepath.Join(base, "mnt"),
		LogPath: filepath.Join(base, "daemon.log")}
	for _, dir := range []string{d.Data, d.Mount} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// startDaemon starts a daemon private to t, stopped (and unmounted) when t
// ends. Its log tail is printed if t failed.
func startDaemon(t testing.TB, opts daemonOptions) *daemon {
	t.Helper()
	d, err := newDaemon(t.TempDir(), opts, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	// Registered after TempDir, so it runs before the directory is removed.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon log tail (%s):\n%s", d.LogPath, d.LogTail(60))
		}
		if err := d.Stop(); err != nil {
			t.Errorf("stop daemon: %v", err)
		}
	})
	if err := d.Start(); err != nil {
		t.Fatalf("start daemon: %v\nlog tail:\n%s", err, d.LogTail(60))
	}
	return d
}

// Start runs shallot serve and waits until S3 answers and the mount point
// is a FUSE mount. The same data directory is reused on restart.
func (d *daemon) Start() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd != nil {
		return errors.New("daemon already running")
	}
	if d.Addr == "" {
		addr, err := freePort()
		if err != nil {
			return err
		}
		d.Addr = addr
	}
	args := []string{"serve", "--data", d.Data, "--mount", d.Mount, "--s3-addr", d.Addr}
	if len(d.opts.Disks) > 0 {
		args = append(args, "--disks", strings.Join(d.opts.Disks, ","))
	}
	if d.opts.EC != "" {
		args = append(args, "--ec", d.opts.EC)
	}
	logF, err := os.OpenFile(d.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(logF, "=== %s: %s %s\n", time.Now().Format(time.RFC3339Nano), d.bin, strings.Join(args, " "))
	cmd := exec.Command(d.bin, args...)
	cmd.Env = append(withoutEnv(os.Environ(), "SHALLOT_"),
		"SHALLOT_ROOT_USER="+rootAccessKey, "SHALLOT_ROOT_PASSWORD="+rootSecretKey)
	cmd.Stdout, cmd.Stderr = logF, logF
	// Its own process group, so a ^C on go test does not reach it before
	// our cleanup does the orderly stop.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logF.Close()
		return fmt.Errorf("start %s: %w", d.bin, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	d.cmd, d.done, d.logF = cmd, done, logF
	if err := d.waitReady(done, 60*time.Second); err != nil {
		d.mu.Unlock()
		d.Stop()
		d.mu.Lock()
		return err
	}
	return nil
}

// waitReady polls until the S3 port answers HTTP and the mount is FUSE.
func (d *daemon) waitReady(done chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	var s3ok, mountOK bool
	for {
		select {
		case <-done:
			return fmt.Errorf("daemon exited during start-up (%v)", d.cmd.ProcessState)
		default:
		}
		if !s3ok {
			if resp, err := client.Get(d.Endpoint() + "/"); err == nil {
				resp.Body.Close()
				s3ok = true
			}
		}
		if !mountOK {
			mountOK = isFuseMount(d.Mount)
		}
		if s3ok && mountOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("daemon not ready after %v (S3 answering: %v, FUSE mounted on %s: %v)", timeout, s3ok, d.Mount, mountOK)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Running reports whether the process is alive.
func (d *daemon) Running() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil {
		return false
	}
	select {
	case <-d.done:
		return false
	default:
		return true
	}
}

// Stop ends the daemon with SIGTERM (SIGKILL after 30 s) and makes sure no
// mount is left behind. Stopping a stopped daemon only checks the mount.
func (d *daemon) Stop() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []error
	if d.cmd != nil {
		select {
		case <-d.done:
			// Exited on its own: that is worth knowing.
			if st := d.cmd.ProcessState; st != nil && !st.Success() {
				d.logf("daemon had already exited: %v", st)
			}
		default:
			d.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-d.done:
				if st := d.cmd.ProcessState; st != nil && !st.Success() {
					errs = append(errs, fmt.Errorf("daemon exited with %v after SIGTERM", st))
				}
			case <-time.After(30 * time.Second):
				errs = append(errs, errors.New("daemon did not stop within 30 s of SIGTERM; killed"))
				d.cmd.Process.Kill()
				<-d.done
			}
		}
		d.cmd = nil
		d.logF.Close()
	}
	if err := releaseMount(d.Mount); err != nil {
		errs = append(errs, err)
	} else if len(errs) == 0 && isMountPoint(d.Mount) {
		errs = append(errs, fmt.Errorf("mount %s still present after stop", d.Mount))
	}
	return errors.Join(errs...)
}

// Kill9 kills the daemon with SIGKILL, as a crash would, and leaves its
// stale mount in place (the next Start must cope with it, as after a real
// crash); cleanup releases it in any case.
func (d *daemon) Kill9() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cmd == nil {
		return
	}
	d.cmd.Process.Kill()
	<-d.done
	d.cmd = nil
	d.logF.Close()
}

// Restart stops the daemon gracefully and starts it on the same data.
func (d *daemon) Restart() error {
	if err := d.Stop(); err != nil {
		return err
	}
	return d.Start()
}

// LogTail returns the last n lines of the daemon's log.
func (d *daemon) LogTail(n int) string {
	b, err := os.ReadFile(d.LogPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// LogSince returns what the daemon logged after offset (see LogSize).
func (d *daemon) LogSince(offset int64) string {
	b, err := os.ReadFile(d.LogPath)
	if err != nil || int64(len(b)) < offset {
		return ""
	}
	return string(b[offset:])
}

// LogSize is the current length of the log file.
func (d *daemon) LogSize() int64 {
	fi, err := os.Stat(d.LogPath)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// releaseMount lazily unmounts dir if a mount (live or stale) is there.
func releaseMount(dir string) error {
	if !isMountPoint(dir) {
		return nil
	}
	err := syscall.Unmount(dir, syscall.MNT_DETACH)
	if err == nil {
		return nil
	}
	out, err2 := exec.Command("umount", "-l", dir).CombinedOutput()
	if err2 != nil {
		return fmt.Errorf("umount -l %s: %v: %s (unmount(2): %v)", dir, err2, out, err)
	}
	return nil
}

// isFuseMount reports whether dir is the root of a live FUSE mount.
func isFuseMount(dir string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return false
	}
	return st.Type == fuseSuperMagic && isMountPoint(dir)
}

// isMountPoint looks dir up in /proc/self/mountinfo, which works for stale
// FUSE mounts too (stat on them fails with ENOTCONN).
func isMountPoint(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && unescapeMountinfo(fields[4]) == abs {
			return true
		}
	}
	return false
}

// unescapeMountinfo undoes the octal escapes (\040 for space, ...) of
// /proc/self/mountinfo.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// freePort returns a 127.0.0.1 address with a port that was free a moment
// ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// The shared daemon, for the tests that do not hurt it.
var (
	sharedOnce sync.Once
	sharedD    *daemon
	sharedErr  error
	sharedBase string
)

// sharedDaemon returns the suite's common daemon, starting it on first use.
// Tests using it must work in their own bucket (newBucket) and must not
// stop, restart or damage it.
func sharedDaemon(t testing.TB) *daemon {
	t.Helper()
	sharedOnce.Do(func() {
		sharedBase, sharedErr = os.MkdirTemp("", "shallot-e2e-")
		if sharedErr != nil {
			return
		}
		sharedD, sharedErr = newDaemon(sharedBase, daemonOptions{}, func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) })
		if sharedErr == nil {
			sharedErr = sharedD.Start()
		}
	})
	if sharedErr != nil {
		tail := ""
		if sharedD != nil {
			tail = sharedD.LogTail(60)
		}
		t.Fatalf("shared daemon: %v\nlog tail:\n%s", sharedErr, tail)
	}
	if !sharedD.Running() {
		t.Fatalf("shared daemon is not running any more; log tail:\n%s", sharedD.LogTail(60))
	}
	// Failures near a daemon problem are easier to read with its log.
	off := sharedD.LogSize()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("shared daemon log during this test (%s):\n%s", sharedD.LogPath, lastLines(sharedD.LogSince(off), 60))
		}
	})
	return sharedD
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if sharedD != nil {
		if err := sharedD.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop shared daemon: %v\nlog tail:\n%s\n", err, sharedD.LogTail(60))
			code = 1
		}
		if code != 0 {
			// Keep the log, not the data.
			kept := filepath.Join(os.TempDir(), fmt.Sprintf("shallot-e2e-shared-%d.log", time.Now().Unix()))
			if os.Rename(sharedD.LogPath, kept) == nil {
				fmt.Fprintf(os.Stderr, "shared daemon log kept in %s\n", kept)
			}
		}
		if !isMountPoint(sharedD.Mount) {
			os.RemoveAll(sharedBase)
		}
	}
	os.Exit(code)
}
