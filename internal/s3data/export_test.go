package s3data

import "time"

// SetMaxBackoff shortens the pause between retries, so that tests of
// retried faults do not wait seconds.
func (c *Client) SetMaxBackoff(d time.Duration) { c.maxBackoff = d }
