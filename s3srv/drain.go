package s3srv

import (
	"io"
	"net/http"
)

// maxErrorDrain bounds how much of a request body the server reads and
// discards to deliver an error. A client that sends a body without waiting
// for "100 Continue" (most SDKs over plain sockets, and every client whose
// body is under their Expect threshold) is still writing when an early
// error (NoSuchUpload, AccessDenied, a failed precondition) is ready. Go's
// server then closes the connection with the rest unread, the kernel
// answers the client's next segment with a reset, and the client sees
// "connection reset" or, when the reset lands while it reads the error,
// "use of closed network connection" instead of the S3 error. Reading the
// rest first lets the answer arrive; past this bound the server gives up,
// as Go does past 256 KiB.
const maxErrorDrain = 64 << 20

// drainForError reads what is left of the request body before an error
// response goes out, within maxErrorDrain. Also when the client asked for
// "100 Continue" and nothing was read yet: the first read sends it, so a
// client that waits sends its body for nothing; that is the price of
// answering those that do not wait (Go's transport without an
// ExpectContinueTimeout, a proxy in between) with the error and not a
// reset.
func drainForError(r *http.Request) {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength > maxErrorDrain {
		return
	}
	_, _ = io.CopyN(io.Discard, r.Body, maxErrorDrain)
}
