package ostor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"staas"
)

// eachUsagePage is the page size EachUsageObject asks for. A public client
// reports broken JSON from some gateways above 710 names per page, so it
// stays well below that.
const eachUsagePage = 500

// UsagePage lists statistics object names in ascending order, starting
// after the name after ("" for the first page), at most limit of them
// (0 leaves the page size to the gateway). Truncated says more follow.
func (c *Client) UsagePage(ctx context.Context, after string, limit int) (*UsageList, error) {
	const op = "list usage"
	if after != "" {
		if err := validUsageName(op, after); err != nil {
			return nil, err
		}
	}
	if err := validPageLimit(op, limit); err != nil {
		return nil, err
	}
	q := newQuery("usage")
	if after != "" {
		q.set("after", after)
	}
	if limit > 0 {
		q.set("limit", strconv.Itoa(limit))
	}
	return getJSON(ctx, c, request{op: op, method: http.MethodGet, query: q.String(), idempotent: true}, DecodeUsageList)
}

// EachUsageObject calls fn with every statistics object name, page by
// page, following Truncated with after=<last name>. An error from fn stops
// the walk and is returned as is.
func (c *Client) EachUsageObject(ctx context.Context, fn func(name string) error) error {
	const op = "list usage"
	after := ""
	for {
		page, err := c.UsagePage(ctx, after, eachUsagePage)
		if err != nil {
			return err
		}
		for _, name := range page.Items {
			if err := fn(name); err != nil {
				return err
			}
		}
		if !page.Truncated {
			return nil
		}
		// A truncated page must move forward, or the walk would never end.
		if len(page.Items) == 0 {
			return unexpected(op, "a truncated page with no names")
		}
		last := page.Items[len(page.Items)-1]
		if last <= after {
			return unexpected(op, "page after %q does not move forward", after)
		}
		if err := validUsageName(op, last); err != nil {
			return &staas.Error{Code: staas.EINTERNAL, Message: Sentence(op, staas.EINTERNAL), Err: fmt.Errorf("ostor: %s: the gateway listed a name that cannot be paged from: %w", op, err)}
		}
		after = last
	}
}

// UsageObject reads a whole statistics object into memory. For objects
// with many items use StreamUsageObject.
func (c *Client) UsageObject(ctx context.Context, name string) (*UsageObject, error) {
	const op = "get usage object"
	if err := validUsageName(op, name); err != nil {
		return nil, err
	}
	return getJSON(ctx, c, request{op: op, method: http.MethodGet, query: newQuery("usage").set("obj", name).String(), idempotent: true}, DecodeUsageObject)
}

// StreamUsageObject reads a statistics object and calls fn with each item
// as it is decoded, so memory stays flat however many items there are. An
// error from fn stops the read and is returned as is. The header is
// returned at the end because its fields may follow the items.
//
// The request is retried until the gateway answers; once items have been
// handed to fn a broken connection is not retried (fn would see items
// twice) and is reported as EUNAVAILABLE.
func (c *Client) StreamUsageObject(ctx context.Context, name string, fn func(UsageItem) error) (*UsageHeader, error) {
	const op = "get usage object"
	if err := validUsageName(op, name); err != nil {
		return nil, err
	}
	body, err := c.open(ctx, request{op: op, method: http.MethodGet, query: newQuery("usage").set("obj", name).String(), idempotent: true})
	if err != nil {
		return nil, err
	}
	defer body.Close()
	src := &readErrRecorder{r: body}
	var fnErr error
	h, err := DecodeUsageStream(src, func(it UsageItem) error {
		fnErr = fn(it)
		return fnErr
	})
	switch {
	case err == nil:
		return h, nil
	case fnErr != nil && errors.Is(err, fnErr):
		return nil, err
	case ctx.Err() != nil:
		return nil, c.canceled(op, context.Cause(ctx))
	case src.err != nil:
		return nil, &staas.Error{Code: staas.EUNAVAILABLE, Message: Sentence(op, staas.EUNAVAILABLE), Err: fmt.Errorf("ostor: %s: connection lost while reading: %w", op, src.err)}
	}
	return nil, malformed(op, err)
}

// readErrRecorder remembers a read failure so that a broken connection is
// told apart from malformed JSON.
type readErrRecorder struct {
	r   io.Reader
	err error
}

func (e *readErrRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

// DeleteUsageObject deletes a statistics object; the vendor asks that
// objects be deleted once collected. It is retried; a 404 after an attempt
// whose answer was lost counts as success (see DeleteUser).
func (c *Client) DeleteUsageObject(ctx context.Context, name string) error {
	const op = "delete usage object"
	if err := validUsageName(op, name); err != nil {
		return err
	}
	_, err := c.do(ctx, request{op: op, method: http.MethodDelete, query: newQuery("usage").set("obj", name).String(), idempotent: true, goneIsDone: true})
	return err
}

// Ping makes the cheapest authenticated call there is, listing at most one
// statistics object, to check the endpoint and the credentials.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, request{op: "ping", method: http.MethodGet, query: newQuery("usage").set("limit", "1").String(), idempotent: true})
	return err
}
