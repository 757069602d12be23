package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// baseline is the yardstick for PUT, GET and HEAD: a trivial HTTP server
// in this process that stores each body as one file under dir (write,
// fsync, rename, fsync of the directory: durable when acknowledged, as
// shallot promises) and serves it back with sendfile. It does no
// authentication, no checksums and no metadata: what is left is the cost
// of HTTP plus the disk, which is the least any S3 server on this machine
// must pay.
type baseline struct {
	dir  string
	srv  *http.Server
	addr string
	bufs sync.Pool
}

func startBaseline(dir string) (*baseline, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b := &baseline{dir: dir, addr: ln.Addr().String()}
	b.bufs.New = func() any { return make([]byte, 1<<20) }
	b.srv = &http.Server{Handler: b, ReadHeaderTimeout: 10 * time.Second}
	go b.srv.Serve(ln)
	return b, nil
}

func (b *baseline) endpoint() string { return "http://" + b.addr }

func (b *baseline) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	b.srv.Shutdown(ctx)
}

// path maps /bucket/key to a file, refusing names that would escape dir.
func (b *baseline) path(urlPath string) (string, bool) {
	p := strings.TrimPrefix(urlPath, "/")
	if p == "" {
		return "", false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", false
		}
	}
	return filepath.Join(b.dir, filepath.FromSlash(p)), true
}

func (b *baseline) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := b.path(r.URL.Path)
	if !ok {
		http.Error(w, "bad path", http.StatusBadRequest)
		return
	}
	isBucket := !strings.Contains(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch {
	case r.Method == http.MethodPut && isBucket:
		err := os.Mkdir(name, 0o755)
		if errors.Is(err, os.ErrExist) {
			w.WriteHeader(http.StatusConflict)
			return
		}
		reply(w, err)
	case r.Method == http.MethodPut:
		reply(w, b.put(name, r.Body))
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		b.get(w, r, name)
	case r.Method == http.MethodDelete:
		reply(w, os.Remove(name))
	default:
		http.Error(w, "not implemented", http.StatusNotImplemented)
	}
}

func reply(w http.ResponseWriter, err error) {
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
	}
}

// put writes body to a temporary file, fsyncs it, renames it in place (a
// reader sees the old or the whole new object) and fsyncs the directory so
// that the rename survives a crash.
func (b *baseline) put(name string, body io.Reader) error {
	dir := filepath.Dir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".put-*")
	if err != nil {
		return err
	}
	buf := b.bufs.Get().([]byte)
	defer b.bufs.Put(buf)
	// Hide ReadFrom so the copy uses our 1 MiB buffer.
	_, err = io.CopyBuffer(struct{ io.Writer }{f}, body, buf)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

func (b *baseline) get(w http.ResponseWriter, r *http.Request, name string) {
	f, err := os.Open(name)
	if err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		http.Error(w, "not a file", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		io.Copy(w, f) // sendfile(2) via the ResponseWriter's ReadFrom
	}
}
