// Package deploy holds the files the README's "Deploy" section tells an
// admin to install — the systemd unit (staas.service), the nginx site
// (nginx/) and the example environment file — and the test that checks
// each with the tool that will read it. No Go code ships from here.
package deploy
