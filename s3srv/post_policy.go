package s3srv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The policy of a browser POST upload ("Creating a POST policy"): a
// base64 JSON document with an expiration and a list of conditions every
// form field must satisfy. The signature covers the base64 text, so the
// policy is what the key's owner allowed, and the form is checked against
// it field by field.

var (
	errInvalidPolicy = newAPIError("InvalidPolicyDocument", http.StatusBadRequest, "The content of the form does not meet the conditions specified in the policy document.")
	errPolicyDenied  = errAccessDenied.with("Invalid according to Policy")
)

// maxPolicySize bounds the decoded policy document.
const maxPolicySize = 20 << 10

// policyCondition is one entry of "conditions". op is "eq",
// "starts-with" or "content-length-range"; field is lower case without
// "$" ("key", "content-type", "bucket"...).
type policyCondition struct {
	op       string
	field    string
	value    string
	min, max int64
	text     string // as written, for error messages
}

// postPolicy is a parsed policy document.
type postPolicy struct {
	expiration time.Time
	conditions []policyCondition
	// lengthRange is set by a content-length-range condition.
	hasLength bool
	minLength int64
	maxLength int64
}

// parsePostPolicy parses the decoded JSON document.
func parsePostPolicy(doc []byte) (*postPolicy, error) {
	if len(doc) > maxPolicySize {
		return nil, errInvalidPolicy.with("Invalid Policy: the policy document is too large.")
	}
	var raw struct {
		Expiration *string            `json:"expiration"`
		Conditions *[]json.RawMessage `json:"conditions"`
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, errInvalidPolicy.with("Invalid Policy: Invalid JSON.")
	}
	if raw.Expiration == nil {
		return nil, errInvalidPolicy.with("Invalid Policy: Policy missing expiration.")
	}
	if raw.Conditions == nil {
		return nil, errInvalidPolicy.with("Invalid Policy: Policy missing conditions.")
	}
	p := &postPolicy{}
	t, err := parsePolicyTime(*raw.Expiration)
	if err != nil {
		return nil, errInvalidPolicy.with("Invalid Policy: Invalid 'expiration' value: '%s'", *raw.Expiration)
	}
	p.expiration = t
	for _, c := range *raw.Conditions {
		cond, err := parsePolicyCondition(c)
		if err != nil {
			return nil, err
		}
		if cond.op == "content-length-range" {
			p.hasLength, p.minLength, p.maxLength = true, cond.min, cond.max
			continue
		}
		p.conditions = append(p.conditions, cond)
	}
	return p, nil
}

// parsePolicyTime accepts ISO 8601 in UTC with or without fractions.
func parsePolicyTime(v string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04:05.000Z", time.RFC3339Nano, "2006-01-02T15:04:05Z07:00"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}

func parsePolicyCondition(msg json.RawMessage) (policyCondition, error) {
	text := string(msg)
	bad := errInvalidPolicy.with("Invalid Policy: Invalid Condition: %s", text)
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(msg, &obj); err == nil {
		// {"field": "value"}: an exact match.
		if len(obj) != 1 {
			return policyCondition{}, bad
		}
		for k, v := range obj {
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return policyCondition{}, bad
			}
			return policyCondition{op: "eq", field: strings.ToLower(strings.TrimPrefix(k, "$")), value: s, text: text}, nil
		}
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(msg, &arr); err != nil || len(arr) != 3 {
		return policyCondition{}, bad
	}
	var op string
	if err := json.Unmarshal(arr[0], &op); err != nil {
		return policyCondition{}, bad
	}
	op = strings.ToLower(op)
	switch op {
	case "eq", "starts-with":
		var field, value string
		if json.Unmarshal(arr[1], &field) != nil || json.Unmarshal(arr[2], &value) != nil || !strings.HasPrefix(field, "$") || len(field) < 2 {
			return policyCondition{}, bad
		}
		return policyCondition{op: op, field: strings.ToLower(field[1:]), value: value, text: text}, nil
	case "content-length-range":
		lo, err1 := policyInt(arr[1])
		hi, err2 := policyInt(arr[2])
		if err1 != nil || err2 != nil || lo < 0 || hi < lo {
			return policyCondition{}, bad
		}
		return policyCondition{op: op, min: lo, max: hi, text: text}, nil
	}
	return policyCondition{}, bad
}

// policyInt reads a number written as a JSON number or string.
func policyInt(msg json.RawMessage) (int64, error) {
	var n json.Number
	if err := json.Unmarshal(msg, &n); err == nil {
		return strconv.ParseInt(n.String(), 10, 64)
	}
	var s string
	if err := json.Unmarshal(msg, &s); err != nil {
		return 0, err
	}
	return strconv.ParseInt(strings.TrimSpace(s), 10, 64)
}

// postExemptFields need no condition: the signature, the policy itself,
// the file and x-ignore-* fields.
func postExempt(field string) bool {
	switch field {
	case "x-amz-signature", "signature", "awsaccesskeyid", "policy", "file":
		return true
	}
	return strings.HasPrefix(field, "x-ignore-")
}

// check verifies the form fields (lower-case names) of a POST to bucket
// against the policy at time now. Every condition must hold, and every
// field must be named by some condition.
func (p *postPolicy) check(fields map[string]string, bucket string, now time.Time) error {
	if !now.Before(p.expiration) {
		return errPolicyDenied.with("Invalid according to Policy: Policy expired.")
	}
	covered := map[string]bool{}
	for _, c := range p.conditions {
		v, ok := fields[c.field]
		if c.field == "bucket" {
			v, ok = bucket, true
		}
		covered[c.field] = true
		switch c.op {
		case "eq":
			ok = ok && v == c.value
		case "starts-with":
			ok = strings.HasPrefix(v, c.value)
			if c.field == "content-type" && strings.Contains(c.value, ",") {
				// Content-Type may list several allowed prefixes.
				ok = false
				for _, alt := range strings.Split(c.value, ",") {
					ok = ok || strings.HasPrefix(v, strings.TrimSpace(alt))
				}
			}
		}
		if !ok {
			return errPolicyDenied.with("Invalid according to Policy: Policy Condition failed: %s", c.text)
		}
	}
	var extra []string
	for f := range fields {
		if !covered[f] && !postExempt(f) {
			extra = append(extra, f)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return errPolicyDenied.with("Invalid according to Policy: Extra input fields: %s", strings.Join(extra, ", "))
	}
	return nil
}
