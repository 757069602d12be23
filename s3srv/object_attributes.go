package s3srv

import (
	"encoding/xml"
	"net/http"
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
	TotalPartsCount      int             `xml:"PartsCount"`
	PartNumberMarker     int             `xml:"PartNumberMarker,omitempty"`
	NextPartNumberMarker int             `xml:"NextPartNumberMarker,omitempty"`
	MaxParts             int             `xml:"MaxParts,omitempty"`
	IsTruncated          bool            `xml:"IsTruncated"`
	Parts                []xmlObjectPart `xml:"Part"`
}

type xmlObjectPart struct {
	xmlChecksums
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
}

// partsPage is the x-amz-max-parts and x-amz-part-number-marker of a
// GetObjectAttributes request.
type partsPage struct {
	max, marker int
}

// maxAttributeParts is the default and cap of x-amz-max-parts, as for
// ListParts.
const maxAttributeParts = 1000

func parsePartsPage(h http.Header) (partsPage, error) {
	pg := partsPage{max: maxAttributeParts}
	if v := h.Get("X-Amz-Max-Parts"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return pg, errInvalidArgument.with("Provided max-parts not an integer or within integer range")
		}
		pg.max = min(n, maxAttributeParts)
	}
	if v := h.Get("X-Amz-Part-Number-Marker"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return pg, errInvalidArgument.with("Provided part-number-marker not an integer or within integer range")
		}
		pg.marker = n
	}
	return pg, nil
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
	page, err := parsePartsPage(req.r.Header)
	if err != nil {
		return nil, err
	}
	info, err := s.store.HeadObject(req.ctx, req.bucket, req.key)
	if err != nil {
		return nil, readErr(err)
	}
	return &response{xml: objectAttributes(info, want, page), header: map[string][]string{
		"Last-Modified": {httpTime(info.LastModified)},
	}}, nil
}

func objectAttributes(info objstore.ObjectInfo, want map[string]bool, page partsPage) xmlGetObjectAttributesResponse {
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
		doc.ObjectParts = objectPartsDocument(info, page)
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

// objectPartsDocument describes the parts of a multipart object (nil for
// others). As in AWS's general purpose buckets, the parts themselves are
// listed only for an object with a checksum; the count always. An object
// completed before part layouts were kept has only the count its ETag
// records.
func objectPartsDocument(info objstore.ObjectInfo, page partsPage) *xmlObjectParts {
	if len(info.Parts) == 0 {
		if n := multipartCount(info.ETag); n > 0 {
			return &xmlObjectParts{TotalPartsCount: n}
		}
		return nil
	}
	doc := &xmlObjectParts{TotalPartsCount: len(info.Parts)}
	if len(info.Checksums) == 0 {
		return doc
	}
	doc.MaxParts, doc.PartNumberMarker = page.max, page.marker
	for _, p := range info.Parts {
		if p.Number <= page.marker {
			continue
		}
		if len(doc.Parts) == page.max {
			doc.IsTruncated = true
			break
		}
		doc.Parts = append(doc.Parts, xmlObjectPart{xmlChecksums: checksumsXML(p.Checksums), PartNumber: p.Number, Size: p.Size})
		doc.NextPartNumberMarker = p.Number
	}
	return doc
}
