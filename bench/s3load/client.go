package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"github.com/shallot-storage/shallot/bench/s3sign"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// client speaks path-style S3 (PUT, GET, HEAD, ListObjectsV2) to one
// endpoint, signing every request, also those to the baseline server
// (which ignores the signature), so both targets cost the client the same.
type client struct {
	endpoint string // scheme://host:port, no trailing slash
	signer   s3sign.Signer
	hc       *http.Client
}

func newClient(endpoint string, s s3sign.Signer, conns int) *client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		// Large buffers keep syscalls per 64 MiB body in the hundreds.
		WriteBufferSize: 256 << 10,
		ReadBufferSize:  256 << 10,
	}
	return &client{endpoint: strings.TrimRight(endpoint, "/"), signer: s, hc: &http.Client{Transport: tr}}
}

func (c *client) close() { c.hc.CloseIdleConnections() }

// request builds and signs one request; query must already be encoded.
func (c *client) request(ctx context.Context, method, bucket, key, query string, body []byte) (*http.Request, error) {
	u := c.endpoint + "/" + bucket
	if key != "" {
		u += "/" + s3sign.URIEncode(key, false)
	}
	if query != "" {
		u += "?" + query
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.ContentLength = int64(len(body))
		if len(body) == 0 {
			// net/http sends no Content-Length for an empty body unless told.
			req.Body = http.NoBody
		}
	}
	c.signer.Sign(req, s3sign.UnsignedPayload, time.Now())
	return req, nil
}

// statusError describes a response that was not the expected 2xx.
func statusError(op string, resp *http.Response) error {
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return fmt.Errorf("%s: HTTP %d: %s", op, resp.StatusCode, strings.TrimSpace(string(msg)))
}

func (c *client) createBucket(ctx context.Context, bucket string) error {
	req, err := c.request(ctx, http.MethodPut, bucket, "", "", []byte{})
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusConflict { // already ours
		io.Copy(io.Discard, resp.Body)
		return nil
	}
	if resp.StatusCode/100 != 2 {
		return statusError("create bucket "+bucket, resp)
	}
	io.Copy(io.Discard, resp.Body)
	return nil
}

func (c *client) put(ctx context.Context, bucket, key string, body []byte) error {
	req, err := c.request(ctx, http.MethodPut, bucket, key, "", body)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return statusError("PUT "+key, resp)
	}
	io.Copy(io.Discard, resp.Body)
	return nil
}

// get reads the whole object and checks its length.
func (c *client) get(ctx context.Context, bucket, key string, want int64, buf []byte) error {
	req, err := c.request(ctx, http.MethodGet, bucket, key, "", nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return statusError("GET "+key, resp)
	}
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{resp.Body}, buf)
	if err != nil {
		return fmt.Errorf("GET %s: body: %w", key, err)
	}
	if n != want {
		return fmt.Errorf("GET %s: %d bytes, want %d", key, n, want)
	}
	return nil
}

func (c *client) head(ctx context.Context, bucket, key string) error {
	req, err := c.request(ctx, http.MethodHead, bucket, key, "", nil)
	if err != nil {
		return err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HEAD %s: HTTP %d", key, resp.StatusCode)
	}
	return nil
}

// listPage is the part of a ListObjectsV2 response the load needs.
type listPage struct {
	IsTruncated           bool   `xml:"IsTruncated"`
	NextContinuationToken string `xml:"NextContinuationToken"`
	KeyCount              int    `xml:"KeyCount"`
	Contents              []struct {
		Key string `xml:"Key"`
	} `xml:"Contents"`
	CommonPrefixes []struct {
		Prefix string `xml:"Prefix"`
	} `xml:"CommonPrefixes"`
}

// list fetches one ListObjectsV2 page.
func (c *client) list(ctx context.Context, bucket, prefix, delimiter, token string, maxKeys int) (listPage, error) {
	q := url.Values{}
	q.Set("list-type", "2")
	q.Set("max-keys", fmt.Sprint(maxKeys))
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	if delimiter != "" {
		q.Set("delimiter", delimiter)
	}
	if token != "" {
		q.Set("continuation-token", token)
	}
	var page listPage
	req, err := c.request(ctx, http.MethodGet, bucket, "", q.Encode(), nil)
	if err != nil {
		return page, err
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return page, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return page, statusError("LIST "+bucket, resp)
	}
	if err := xml.NewDecoder(resp.Body).Decode(&page); err != nil {
		return page, fmt.Errorf("LIST %s: decode: %w", bucket, err)
	}
	return page, nil
}
