package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"staas"
	"staas/whmcsbridge"
)

// ShimVerifier checks the HMAC signature, clock and nonce of a request from
// the PHP shim (whmcsbridge.Verifier).
type ShimVerifier interface {
	// CheckHeaders checks the signature headers' presence, shape and
	// clock window, before any of the body is read.
	CheckHeaders(h http.Header) error
	Verify(ctx context.Context, method, requestURI string, h http.Header, body []byte) error
}

// maxShimBody bounds a shim request; real ones are a few hundred bytes.
const maxShimBody = 1 << 20

// shimAuth lets through only requests the shim signed. It checks the
// signature headers first, so a request that cannot be the shim's is
// refused before staas waits for its body; then it reads the body once
// (the signature covers it) and puts it back for the handler.
func shimAuth(v ShimVerifier) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if err := v.CheckHeaders(r.Header); err != nil {
				// Closing the connection spares net/http reading the
				// unread body before it answers.
				c.Response().Header().Set(echo.HeaderConnection, "close")
				return refused(err)
			}
			if r.ContentLength > maxShimBody {
				c.Response().Header().Set(echo.HeaderConnection, "close")
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The request body is too large.")
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, maxShimBody+1))
			if err != nil {
				return echo.NewHTTPError(http.StatusBadRequest, "The request body could not be read.")
			}
			if len(body) > maxShimBody {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The request body is too large.")
			}
			if err := v.Verify(r.Context(), r.Method, r.RequestURI, r.Header, body); err != nil {
				return refused(err)
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			return next(c)
		}
	}
}

// refused is a verifier's refusal as the shim gets it: 401, whatever code
// the verifier used, so it is never mistaken for an upstream failure; an
// unavailable nonce store stays 503, which the shim may retry.
func refused(err error) error {
	if staas.ErrorCode(err) == staas.EUNAVAILABLE {
		return err
	}
	return echo.NewHTTPError(http.StatusUnauthorized, staas.ErrorMessage(err))
}

// decodeShim decodes a signed JSON request strictly and validates it:
// one JSON object and nothing after it, no key twice, no null, no unknown
// field, ids as plain decimals (whmcsbridge.DecodeShim), as
// docs/shim-protocol.md says.
func decodeShim[T interface{ Validate() error }](c echo.Context, v T) error {
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxShimBody+1))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "The request body could not be read.")
	}
	if err := whmcsbridge.DecodeShim(body, v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return staas.Errorf(staas.EINVALID, "The request is not valid JSON.")
		}
		return staas.Errorf(staas.EINVALID, "The request does not match the shim protocol: %v", err)
	}
	return v.Validate()
}
