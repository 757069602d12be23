package s3srv

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/shallot-storage/shallot/objstore"
)

// Object tags: x-amz-tagging on PUT, copy and multipart create, and the
// ?tagging sub-resource. Limits and the character set are AWS's, so a tag
// set accepted here is one AWS accepts too.
const (
	maxTags        = 10
	maxTagKeyLen   = 128 // Unicode characters
	maxTagValueLen = 256
	maxTaggingBody = 64 << 10
)

var (
	errInvalidTag       = newAPIError("InvalidTag", http.StatusBadRequest, "The tag provided was not a valid tag.")
	errBadTaggingHeader = errInvalidArgument.with("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
)

// checkTags applies AWS's limits to a tag set.
func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return errInvalidTag.with("Object tags cannot be greater than %d.", maxTags)
	}
	for k, v := range tags {
		switch {
		case k == "" || !utf8.ValidString(k) || !validTagChars(k):
			return errInvalidTag.with("The TagKey you have provided is invalid.")
		case utf8.RuneCountInString(k) > maxTagKeyLen:
			return errInvalidTag.with("The TagKey you have provided is too long, max %d.", maxTagKeyLen)
		case len(k) >= 4 && k[:4] == "aws:":
			return errInvalidTag.with("Your TagKey cannot be prefixed with aws:")
		case !utf8.ValidString(v) || !validTagChars(v):
			return errInvalidTag.with("The TagValue you have provided is invalid.")
		case utf8.RuneCountInString(v) > maxTagValueLen:
			return errInvalidTag.with("The TagValue you have provided is too long, max %d.", maxTagValueLen)
		}
	}
	return nil
}

// validTagChars: letters, digits, spaces and + - = . _ : / @.
func validTagChars(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsNumber(r), unicode.Is(unicode.Zs, r):
		case r == '+' || r == '-' || r == '=' || r == '.' || r == '_' || r == ':' || r == '/' || r == '@':
		default:
			return false
		}
	}
	return true
}

// parseTaggingHeader parses x-amz-tagging ("k1=v1&k2=v2", URL-encoded);
// an absent or empty header is no tags.
func parseTaggingHeader(v string) (map[string]string, error) {
	if v == "" {
		return nil, nil
	}
	q, err := url.ParseQuery(v)
	if err != nil {
		return nil, errBadTaggingHeader
	}
	tags := make(map[string]string, len(q))
	for k, vs := range q {
		if len(vs) != 1 {
			return nil, errBadTaggingHeader
		}
		tags[k] = vs[0]
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	return tags, nil
}

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// xmlTagging is the Tagging document of PutObjectTagging (matched by
// local name) and GetObjectTagging.
type xmlTagging struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  []xmlTag `xml:"TagSet>Tag"`
}

// parseTaggingXML parses a <Tagging> document.
func parseTaggingXML(body []byte) (map[string]string, error) {
	var doc xmlTagging
	if err := xml.Unmarshal(body, &doc); err != nil {
		return nil, errMalformedXML
	}
	if len(doc.TagSet) > maxTags {
		return nil, errInvalidTag.with("Object tags cannot be greater than %d.", maxTags)
	}
	tags := make(map[string]string, len(doc.TagSet))
	for _, t := range doc.TagSet {
		if _, dup := tags[t.Key]; dup {
			return nil, errInvalidTag.with("Cannot provide multiple Tags with the same key")
		}
		tags[t.Key] = t.Value
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	return tags, nil
}

func taggingDocument(tags map[string]string) xmlTagging {
	doc := xmlTagging{Xmlns: s3Namespace, TagSet: make([]xmlTag, 0, len(tags))}
	for k, v := range tags {
		doc.TagSet = append(doc.TagSet, xmlTag{Key: k, Value: v})
	}
	sort.Slice(doc.TagSet, func(i, j int) bool { return doc.TagSet[i].Key < doc.TagSet[j].Key })
	return doc
}

// getObjectTagging is GetObjectTagging.
func (s *Server) getObjectTagging(req *request) (*response, error) {
	if err := errNoSuchVersionIfSet(req.query.Get("versionId")); err != nil {
		return nil, err
	}
	info, err := s.store.HeadObject(req.ctx, req.bucket, req.key)
	if err != nil {
		return nil, readErr(err)
	}
	return &response{xml: taggingDocument(info.Tags)}, nil
}

// putObjectTagging is PutObjectTagging: the whole tag set is replaced.
func (s *Server) putObjectTagging(req *request) (*response, error) {
	if err := errNoSuchVersionIfSet(req.query.Get("versionId")); err != nil {
		return nil, err
	}
	want, err := contentMD5(req.r.Header)
	if err != nil {
		return nil, err
	}
	body, err := readSmallBody(req.body, maxTaggingBody)
	if err != nil {
		return nil, req.bodyErr(malformedIfTooLarge(err))
	}
	if err := checkBodyMD5(body, want); err != nil {
		return nil, err
	}
	tags, err := parseTaggingXML(body)
	if err != nil {
		return nil, err
	}
	if err := s.store.SetObjectTags(req.ctx, req.bucket, req.key, tags); err != nil {
		return nil, readErr(err)
	}
	return &response{}, nil
}

// deleteObjectTagging is DeleteObjectTagging.
func (s *Server) deleteObjectTagging(req *request) (*response, error) {
	if err := errNoSuchVersionIfSet(req.query.Get("versionId")); err != nil {
		return nil, err
	}
	if err := s.store.SetObjectTags(req.ctx, req.bucket, req.key, nil); err != nil {
		return nil, readErr(err)
	}
	return &response{status: http.StatusNoContent}, nil
}

// setTagCount reports how many tags an object has, as GET and HEAD do.
func setTagCount(resp *response, info objstore.ObjectInfo) {
	if len(info.Tags) > 0 {
		setRaw(resp, "x-amz-tagging-count", strconv.Itoa(len(info.Tags)))
	}
}
