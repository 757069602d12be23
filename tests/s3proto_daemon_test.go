package tests

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// s3protoEnv is where the SDK tests send their requests: the shared
// daemon over HTTP and through a TLS-terminating proxy (AWS SDKs send
// checksums in aws-chunked trailers only over HTTPS, so both paths need a
// client), and a daemon of its own for virtual-hosted style, which needs
// --domain (the shared daemon runs without one).
type s3protoEnv struct {
	endpoint    string // http://127.0.0.1:PORT of the shared daemon
	tlsEndpoint string // https://127.0.0.1:PORT, proxied to endpoint
	tlsClient   *http.Client
	caFile      string // PEM of the proxy's certificate, for other runtimes

	// vhostEndpoint is http://s3.localhost:PORT; vhostClient resolves
	// every name to 127.0.0.1, so "<bucket>.s3.localhost" needs no DNS.
	vhostEndpoint string
	vhostPort     string
	vhostClient   *http.Client

	access, secret, region string

	mu sync.Mutex
	// modes counts the x-amz-content-sha256 values (hashes as "hex") of
	// requests through the TLS proxy: what the clients really sent.
	modes map[string]int
}

const s3protoDomain = "s3.localhost"

// payloadModes returns a copy of the payload modes seen by the proxy.
func (e *s3protoEnv) payloadModes() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[string]int{}
	for k, v := range e.modes {
		out[k] = v
	}
	return out
}

func s3protoSetup(t *testing.T) *s3protoEnv {
	t.Helper()
	d := sharedDaemon(t)
	e := &s3protoEnv{endpoint: d.Endpoint(), access: rootAccessKey, secret: rootSecretKey, region: "us-east-1", modes: map[string]int{}}
	e.startProxy(t)
	e.startVhostDaemon(t)
	return e
}

// startProxy puts a TLS proxy in front of the shared daemon. It keeps the
// Host the client signed and streams bodies both ways.
func (e *s3protoEnv) startProxy(t *testing.T) {
	target, _ := url.Parse(e.endpoint)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	direct := proxy.Director
	proxy.Director = func(r *http.Request) {
		mode := r.Header.Get("X-Amz-Content-Sha256")
		if len(mode) == 64 && !strings.HasPrefix(mode, "STREAMING") {
			mode = "hex"
		}
		if mode != "" {
			e.mu.Lock()
			e.modes[mode]++
			e.mu.Unlock()
		}
		direct(r)
	}
	ts := httptest.NewTLSServer(proxy)
	t.Cleanup(ts.Close)
	e.tlsEndpoint, e.tlsClient = ts.URL, ts.Client()
	var pemBuf bytes.Buffer
	_ = pem.Encode(&pemBuf, &pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw})
	e.caFile = filepath.Join(t.TempDir(), "proxy-ca.pem")
	if err := os.WriteFile(e.caFile, pemBuf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// startVhostDaemon runs the daemon binary with --domain and no mount,
// stopped (by its pid) when t ends.
func (e *s3protoEnv) startVhostDaemon(t *testing.T) {
	bin, err := daemonBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	addr, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "daemon.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--data", filepath.Join(dir, "data"), "--no-mount",
		"--s3-addr", addr, "--domain", s3protoDomain, "--log-level", "warn")
	cmd.Env = append(withoutEnv(os.Environ(), "SHALLOT_"), "SHALLOT_ROOT_USER="+e.access, "SHALLOT_ROOT_PASSWORD="+e.secret)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); logf.Close() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("virtual-host daemon output:\n%s", lastLines(string(out), 60))
		}
	})
	_, e.vhostPort, _ = net.SplitHostPort(addr)
	e.vhostEndpoint = "http://" + s3protoDomain + ":" + e.vhostPort
	e.vhostClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/")
		if err == nil {
			resp.Body.Close()
			return
		}
		select {
		case err := <-done:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("virtual-host daemon exited: %v\n%s", err, out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("virtual-host daemon did not listen on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// s3protoBucket makes a bucket name unique in the suite; the SDK under
// test creates the bucket itself.
func s3protoBucket(prefix string) string {
	return fmt.Sprintf("%s-%s", prefix, randHex(5))
}
