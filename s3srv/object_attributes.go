package s3srv

import (
	"encoding/xml"
	"strconv"
	"strings"

	"github.com/shallot-storage/shallot/objstore"
)

// GetObjectAttributes (GET ?attributes): what HEAD and ListParts tell,
// in one XML document, limited to the attributes the client names in
// x-amz-object-attributes.

type xmlChecksum struct {
	xmlChecksums
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type xmlObjectParts struct {
	TotalPartsCount int  `xml:"PartsCount"`
	IsTruncated     bool `xml:"IsTruncated"`
}

type xmlGetObjectAttributesResponse struct {
	XMLName      xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ GetObjectAttributesResponse"`
	ETag         string          `xml:"ETag,omitempty"`
	Checksum     *xmlChecksum    `xml:"Checksum,omitempty"`
	ObjectParts  *xmlObjectParts `xml:"ObjectParts,omitempty"`
	StorageClass string          `xml:"StorageClass,omitempty"`
	ObjectSize   *int64          `xml:"ObjectSize,omitempty"`
}

var objectAttributeNames = map[string]bool{
	"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true,
}

// parseObjectAttributes reads x-amz-object-attributes: a comma-separated
// list, possibly over several header lines.
func parseObjectAttributes(values []string) (map[string]bool, error) {
	want := map[string]bool{}
	for _, v := range values {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			if !objectAttributeNames[a] {
				return nil, errInvalidArgument.with("Invalid attribute name specified.")
			}
			want[a] = true
		}
	}
	if len(want) == 0 {
		return nil, errInvalidRequest.with("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
	}
	return want, nil
}

func checksumDocument(sums map[string]string) *xmlChecksum {
	if len(sums) == 0 {
		return nil
	}
	c := &xmlChecksum{xmlChecksums: checksumsXML(sums)}
	for _, v := range sums {
		c.ChecksumType = checksumType(v)
	}
	if *c == (xmlChecksum{ChecksumType: c.ChecksumType}) {
		return nil
	}
	return c
}

// multipartCount returns N of a multipart ETag ("<md5>-N"), or 0.
func multipartCount(etag string) int {
	_, n, ok := strings.Cut(etag, "-")
	if !ok {
		return 0
	}
	c, err := strconv.Atoi(n)
	if err != nil || c < 1 {
		return 0
	}
	return c
}

func (s *Server) getObjectAttributes(req *request) (*response, error) {
	if err := errNoSuchVersionIfSet(req.query.Get("versionId")); err != nil {
		return nil, err
	}
	want, err := parseObjectAttributes(req.r.Header.Values("X-Amz-Object-Attributes"))
	if err != nil {
		return nil, err
	}
	info, err := s.store.HeadObject(req.ctx, req.bucket, req.key)
	if err != nil {
		return nil, readErr(err)
	}
	return &response{xml: objectAttributes(info, want), header: map[string][]string{
		"Last-Modified": {httpTime(info.LastModified)},
	}}, nil
}

func objectAttributes(info objstore.ObjectInfo, want map[string]bool) xmlGetObjectAttributesResponse {
	var doc xmlGetObjectAttributesResponse
	if want["ETag"] {
		etag := info.ETag
		if etag == "" && info.IsDir {
			etag = emptyETag
		}
		doc.ETag = etag
	}
	if want["Checksum"] {
		doc.Checksum = checksumDocument(info.Checksums)
	}
	if want["ObjectParts"] {
		// Part boundaries are not kept after completion: the count is
		// what the multipart ETag records.
		if n := multipartCount(info.ETag); n > 0 {
			doc.ObjectParts = &xmlObjectParts{TotalPartsCount: n}
		}
	}
	if want["StorageClass"] {
		doc.StorageClass = storageClass(info)
	}
	if want["ObjectSize"] {
		size := info.Size
		doc.ObjectSize = &size
	}
	return doc
}
