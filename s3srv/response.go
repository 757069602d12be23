package s3srv

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sirupsen/logrus"
)

// response is what a handler produces; writeResponse is the only code that
// writes to the http.ResponseWriter, so a handler can never answer twice or
// half-way.
type response struct {
	status int // 0 means 200
	header http.Header
	// xml, when set, is marshalled as the body.
	xml any
	// body, when set, is streamed with io.Copy; bodyLen is its exact length.
	body    io.Reader
	bodyLen int64
	// done, when set, runs after the body is written (closes readers).
	done func()
}

func (r *response) set(name, value string) {
	if r.header == nil {
		r.header = make(http.Header)
	}
	r.header.Set(name, value)
}

type writerOnly struct{ io.Writer }

// copyBufSize is the read size of object bodies: a few erasure-coded
// stripes per store read.
const copyBufSize = 1 << 20

// xmlField is one extra element of an error document.
type xmlField struct {
	Name  string
	Value string
}

// errorDocument is S3's <Error> body.
type errorDocument struct {
	XMLName   xml.Name `xml:"Error"`
	Code      string
	Message   string
	Resource  string `xml:",omitempty"`
	RequestID string `xml:"RequestId"`
	HostID    string `xml:"HostId,omitempty"`
	Extra     []xmlExtra
}

type xmlExtra struct {
	XMLName xml.Name
	Value   string `xml:",chardata"`
}

const xmlContentType = "application/xml"

func marshalXML(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeResponse writes resp, or err as an S3 error document when err is
// not nil. HEAD responses never carry a body.
func (s *Server) writeResponse(w http.ResponseWriter, req *request, resp *response, err error) {
	if resp != nil && resp.done != nil {
		defer resp.done()
	}
	if err != nil {
		s.writeError(w, req, err)
		return
	}
	head := req.r.Method == http.MethodHead
	// Read the first buffer of a body before the status line goes out, so
	// an object that cannot be read (more shards lost than parity covers)
	// is an S3 error, not a connection cut after "200 OK".
	var buf *[]byte
	var first []byte
	if resp.body != nil && !head && resp.bodyLen > 0 {
		buf = s.copyBufs.Get().(*[]byte)
		defer s.copyBufs.Put(buf)
		n, rerr := io.ReadFull(resp.body, (*buf)[:min(int64(len(*buf)), resp.bodyLen)])
		if rerr != nil {
			s.writeError(w, req, rerr)
			return
		}
		first = (*buf)[:n]
	}
	h := w.Header()
	for k, v := range resp.header {
		h[k] = v
	}
	status := resp.status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case resp.xml != nil:
		body, merr := marshalXML(resp.xml)
		if merr != nil {
			s.writeError(w, req, merr)
			return
		}
		h.Set("Content-Type", xmlContentType)
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		if !head {
			_, _ = w.Write(body)
		}
	case resp.body != nil:
		h.Set("Content-Length", strconv.FormatInt(resp.bodyLen, 10))
		w.WriteHeader(status)
		if head || resp.bodyLen == 0 {
			return
		}
		if _, werr := w.Write(first); werr != nil {
			return // the client went away
		}
		// writerOnly hides http's ReaderFrom, which would copy in 32 KiB
		// reads: each store read costs a blob read, so read big.
		n, cerr := io.CopyBuffer(writerOnly{w}, resp.body, *buf)
		n += int64(len(first))
		if cerr != nil && n < resp.bodyLen {
			// The status line is gone; all we can do is cut the
			// connection short so the client sees a truncated body
			// rather than a silently short object.
			req.log.WithError(cerr).WithField("written", n).Warn("s3: response body aborted")
			panic(http.ErrAbortHandler)
		}
	default:
		if status != http.StatusNoContent && status != http.StatusNotModified && h.Get("Content-Length") == "" {
			h.Set("Content-Length", "0")
		}
		w.WriteHeader(status)
	}
}

func (s *Server) writeError(w http.ResponseWriter, req *request, err error) {
	drainForError(req.r)
	api, known := toAPIError(err)
	if !known {
		req.log.WithError(err).Error("s3: internal error")
	} else if req.log.Logger.IsLevelEnabled(logrus.DebugLevel) {
		req.log.WithField("code", api.Code).WithError(err).Debug("s3: request failed")
	}
	h := w.Header()
	if api.Status == http.StatusNotModified {
		w.WriteHeader(api.Status)
		return
	}
	if req.r.Method == http.MethodHead {
		w.WriteHeader(api.Status)
		return
	}
	doc := errorDocument{
		Code:      api.Code,
		Message:   api.Message,
		Resource:  req.resource(),
		RequestID: req.id,
		HostID:    req.hostID,
	}
	for _, f := range api.extra {
		doc.Extra = append(doc.Extra, xmlExtra{XMLName: xml.Name{Local: f.Name}, Value: f.Value})
	}
	body, merr := marshalXML(doc)
	if merr != nil {
		// Only an invalid element name could fail; fall back to the bare code.
		body = []byte(xml.Header + "<Error><Code>" + api.Code + "</Code></Error>")
	}
	h.Set("Content-Type", xmlContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(api.Status)
	_, _ = w.Write(body)
}

// errBodyTooLarge marks an XML request body over its limit.
var errBodyTooLarge = errors.New("request body too large")

// readSmallBody reads a request body that is parsed whole (XML documents);
// limit protects memory.
func readSmallBody(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, errBodyTooLarge
	}
	return b, nil
}

// Time formats S3 uses.
const iso8601Millis = "2006-01-02T15:04:05.000Z"

func xmlTime(t time.Time) string { return t.UTC().Format(iso8601Millis) }

func httpTime(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

func quoteETag(etag string) string { return `"` + etag + `"` }
