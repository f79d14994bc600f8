package ostorsim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Bucket replication (Virtuozzo Infrastructure API reference 6.3+,
// "Replication management": put-, get- and delete-service-replication):
//
//	PUT    /?replication   Host: <bucket>.<host>   x-amz-geo-endpoint,
//	                       x-amz-geo-access-key, x-amz-geo-access-secret,
//	                       body <ReplicationConfiguration>
//	GET    /?replication   → the XML and the three x-amz-geo-* headers
//	DELETE /?replication   → 200, empty
//
// The reference names the bucket in the Host header (virtual-hosted
// style); the path-style form /<bucket>?replication, which S3 treats
// alike, is accepted too.

// replicationConfig is a bucket's stored configuration; it goes with the
// bucket (removeBucket), so a re-created bucket has none.
type replicationConfig struct {
	endpoint  string
	accessKey string
	secret    string
	conf      replicationXML
}

const replicationNamespace = "http://s3.amazonaws.com/doc/2006-03-01/"

type replicationXML struct {
	XMLName xml.Name `xml:"ReplicationConfiguration"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Role    string   `xml:"Role"`
	Rule    struct {
		Status                  string `xml:"Status"`
		Priority                int    `xml:"Priority"`
		DeleteMarkerReplication struct {
			Status string `xml:"Status"`
		} `xml:"DeleteMarkerReplication"`
		Filter struct {
			Prefix string `xml:"Prefix"`
		} `xml:"Filter"`
		Destination struct {
			Bucket string `xml:"Bucket"`
		} `xml:"Destination"`
	} `xml:"Rule"`
}

var (
	replicationRole   = regexp.MustCompile(`^arn:aws:iam::[0-9a-f]{16}:role/s3-replication-role$`)
	replicationDest   = regexp.MustCompile(`^arn:aws:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$`)
	maxReplicationXML = int64(64 << 10)
)

// replicationTarget says whether r is a ?replication request and for which
// bucket, and the SigV2 canonical resource S3 signs for it.
func replicationTarget(r *http.Request) (bucket, resource string, ok bool) {
	if q := r.URL.RawQuery; q != "replication" && q != "replication=" {
		return "", "", false
	}
	path := r.URL.EscapedPath()
	if path != "" && path != "/" {
		name := strings.TrimPrefix(path, "/")
		if strings.Contains(name, "/") {
			return "", "", false // an object's ?replication is no such thing
		}
		return name, "/" + name + "?replication", true
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	name, _, dotted := strings.Cut(host, ".")
	if !dotted || net.ParseIP(host) != nil {
		return "", "/?replication", true // no bucket: refused below
	}
	return name, "/" + name + "/?replication", true
}

// serveReplication serves a ?replication request: the signer must be the
// bucket's owner (its own key or one of its accounts') or a system user,
// enabled. Who may call it is not documented: S3's rule (the owner) plus
// the ostor reference's rule for its management API (a system user).
func (s *Sim) serveReplication(w http.ResponseWriter, r *http.Request, requestID, bucket, resource string) {
	owner, err := s.verifySignature(r, func(r *http.Request, lookup SecretLookup, now time.Time) (string, error) {
		return verifyV2(r, lookup, now, resource)
	})
	if err != nil {
		writeError(w, requestID, err)
		return
	}
	var body []byte
	if r.Method == http.MethodPut {
		body, err = io.ReadAll(io.LimitReader(r.Body, maxReplicationXML+1))
		if err != nil {
			writeError(w, requestID, badRequest("reading the body: "+err.Error()))
			return
		}
		if int64(len(body)) > maxReplicationXML {
			writeError(w, requestID, &apiError{http.StatusBadRequest, "MalformedXML", "the replication configuration is too large"})
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.st
	if bucket == "" {
		writeError(w, requestID, badRequest("name the bucket in the Host header (<bucket>.<host>) or the path"))
		return
	}
	b := st.buckets[bucket]
	if b == nil {
		writeError(w, requestID, notFound("NoSuchBucket", "The specified bucket does not exist"))
		return
	}
	u, err := st.enabledCaller(owner)
	if err != nil {
		writeError(w, requestID, err)
		return
	}
	if !(u.system && owner.account == "") && u.id != b.ownerID {
		writeError(w, requestID, forbidden("AccessDenied", "Access Denied"))
		return
	}

	switch r.Method {
	case http.MethodPut:
		conf, err := parseReplication(r.Header, body)
		if err != nil {
			writeError(w, requestID, err)
			return
		}
		st.replication[bucket] = conf
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		conf := st.replication[bucket]
		if conf == nil {
			writeError(w, requestID, notFound("ReplicationConfigurationNotFoundError", "The replication configuration was not found"))
			return
		}
		out := conf.conf
		out.Xmlns = replicationNamespace
		raw, err := xml.Marshal(out)
		if err != nil {
			writeError(w, requestID, err)
			return
		}
		raw = append([]byte(xml.Header), raw...)
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
		w.Header().Set("x-amz-geo-endpoint", conf.endpoint)
		w.Header().Set("x-amz-geo-access-key", conf.accessKey)
		w.Header().Set("x-amz-geo-access-secret", conf.secret)
		w.WriteHeader(http.StatusOK)
		w.Write(raw)
	case http.MethodDelete:
		delete(st.replication, bucket)
		w.WriteHeader(http.StatusOK)
	default:
		writeError(w, requestID, badRequest(r.Method+" is not supported for ?replication"))
	}
}

// parseReplication checks a PUT: the three x-amz-geo-* headers and the
// documented XML, one rule.
func parseReplication(h http.Header, body []byte) (*replicationConfig, error) {
	conf := &replicationConfig{
		endpoint:  h.Get("x-amz-geo-endpoint"),
		accessKey: h.Get("x-amz-geo-access-key"),
		secret:    h.Get("x-amz-geo-access-secret"),
	}
	for name, v := range map[string]string{
		"x-amz-geo-endpoint": conf.endpoint, "x-amz-geo-access-key": conf.accessKey, "x-amz-geo-access-secret": conf.secret,
	} {
		if strings.TrimSpace(v) == "" {
			return nil, badRequest(name + " is required")
		}
	}
	malformed := func(why string) error {
		return &apiError{http.StatusBadRequest, "MalformedXML", "The XML you provided was not well-formed or did not validate: " + why}
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&conf.conf); err != nil {
		return nil, malformed(err.Error())
	}
	c := &conf.conf
	if ns := c.XMLName.Space; ns != "" && ns != replicationNamespace {
		return nil, malformed(fmt.Sprintf("namespace %q", ns))
	}
	if !replicationRole.MatchString(c.Role) {
		return nil, malformed("Role is not arn:aws:iam::<user id>:role/s3-replication-role")
	}
	if c.Rule.Status != "Enabled" && c.Rule.Status != "Disabled" {
		return nil, malformed("Rule/Status is not Enabled or Disabled")
	}
	if s := c.Rule.DeleteMarkerReplication.Status; s != "Enabled" && s != "Disabled" {
		return nil, malformed("DeleteMarkerReplication/Status is not Enabled or Disabled")
	}
	if !replicationDest.MatchString(c.Rule.Destination.Bucket) {
		return nil, malformed("Destination/Bucket is not arn:aws:s3:::<bucket>")
	}
	c.Xmlns = ""
	c.XMLName = xml.Name{Local: "ReplicationConfiguration"}
	return conf, nil
}

// Replication returns a bucket's replication configuration as the driving
// API sees it: remote endpoint, remote access key, user id of the role and
// destination bucket; ok is false when there is none.
func (s *Sim) Replication(bucket string) (endpoint, accessKey, userID, destination string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	conf := s.st.replication[bucket]
	if conf == nil {
		return "", "", "", "", false
	}
	id := strings.TrimSuffix(strings.TrimPrefix(conf.conf.Role, "arn:aws:iam::"), ":role/s3-replication-role")
	dest := strings.TrimPrefix(conf.conf.Rule.Destination.Bucket, "arn:aws:s3:::")
	return conf.endpoint, conf.accessKey, id, dest, true
}
