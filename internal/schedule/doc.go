// Package schedule is the one home of staas's background timing: the
// store leases that let one staas replica at a time do a job (collect
// usage, sample bucket sizes, deliver queued WHMCS notes), the names the
// replicas hold them by, and the loop that runs a job every interval.
//
// The leases themselves are rows in the store (internal/store's
// AcquireLease and ReleaseLease); this package holds what is done with
// them: take one, renew it while the job works, stop the job when it is
// lost, give it up at the end.
package schedule
