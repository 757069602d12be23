package s3srv

import "encoding/xml"

// maxDeleteObjects is AWS's limit of keys per DeleteObjects request.
const maxDeleteObjects = 1000

// maxDeleteBody bounds the request document: 1000 keys of 1024 bytes,
// XML-escaped, fit well below it.
const maxDeleteBody = 8 << 20

// parseDeleteObjects parses a <Delete> document.
func parseDeleteObjects(body []byte) (xmlDelete, error) {
	var d xmlDelete
	if err := xml.Unmarshal(body, &d); err != nil {
		return d, errMalformedXML
	}
	if len(d.Objects) == 0 || len(d.Objects) > maxDeleteObjects {
		return d, errMalformedXML
	}
	return d, nil
}

// deleteObjects is DeleteObjects (POST ?delete). AWS demands Content-MD5
// or a checksum header; both are verified when present and not demanded.
func (s *Server) deleteObjects(req *request) (*response, error) {
	want, err := contentMD5(req.r.Header)
	if err != nil {
		return nil, err
	}
	body, err := readSmallBody(req.body, maxDeleteBody)
	if err != nil {
		return nil, req.bodyErr(malformedIfTooLarge(err))
	}
	if err := checkBodyMD5(body, want); err != nil {
		return nil, err
	}
	d, err := parseDeleteObjects(body)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.HeadBucket(req.ctx, req.bucket); err != nil {
		return nil, err
	}
	res := xmlDeleteResult{}
	for _, o := range d.Objects {
		err := errNoSuchVersionIfSet(o.VersionID)
		if err == nil {
			err = s.deleteKey(req, o.Key)
		}
		if err != nil {
			api, known := toAPIError(err)
			if !known {
				req.log.WithError(err).WithField("key", o.Key).Error("s3: delete failed")
			}
			res.Errors = append(res.Errors, xmlDeleteError{Key: o.Key, VersionID: o.VersionID, Code: api.Code, Message: api.Message})
			continue
		}
		if !d.Quiet {
			res.Deleted = append(res.Deleted, xmlDeleted{Key: o.Key, VersionID: o.VersionID})
		}
	}
	return &response{xml: res}, nil
}

// errNoSuchVersionIfSet: objects have one version, called "null".
func errNoSuchVersionIfSet(versionID string) error {
	if versionID != "" && versionID != "null" {
		return errNoSuchVersion
	}
	return nil
}
