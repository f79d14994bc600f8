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
)

// ShimVerifier checks the HMAC signature, clock and nonce of a request from
// the PHP shim (whmcsbridge.Verifier).
type ShimVerifier interface {
	Verify(ctx context.Context, method, requestURI string, h http.Header, body []byte) error
}

// maxShimBody bounds a shim request; real ones are a few hundred bytes.
const maxShimBody = 1 << 20

// shimAuth lets through only requests the shim signed. It reads the body
// once (the signature covers it) and puts it back for the handler.
func shimAuth(v ShimVerifier) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			body, err := io.ReadAll(io.LimitReader(r.Body, maxShimBody+1))
			if err != nil {
				return echo.NewHTTPError(http.StatusBadRequest, "The request body could not be read.")
			}
			if len(body) > maxShimBody {
				return echo.NewHTTPError(http.StatusRequestEntityTooLarge, "The request body is too large.")
			}
			if err := v.Verify(r.Context(), r.Method, r.RequestURI, r.Header, body); err != nil {
				if staas.ErrorCode(err) == staas.EUNAVAILABLE {
					return err
				}
				// The shim's own signature was refused: 401, whatever
				// code the verifier used, so it is never mistaken for
				// an upstream failure.
				return echo.NewHTTPError(http.StatusUnauthorized, staas.ErrorMessage(err))
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			return next(c)
		}
	}
}

// decodeShim decodes a signed JSON request strictly and validates it.
func decodeShim[T interface{ Validate() error }](c echo.Context, v T) error {
	dec := json.NewDecoder(c.Request().Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return staas.Errorf(staas.EINVALID, "The request is not valid JSON.")
		}
		return staas.Errorf(staas.EINVALID, "The request does not match the shim protocol: %v", err)
	}
	return v.Validate()
}
