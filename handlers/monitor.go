package handlers

import (
	"crypto/subtle"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// clientIP says where the request log takes a client's address from: the
// connection, unless it comes from one of the trusted proxies, whose
// X-Forwarded-For is then believed (walked from the right, skipping the
// trusted hops). Echo's own default believes X-Forwarded-For and
// X-Real-IP from anyone, and its XFF extractor trusts loopback and
// private networks unless told not to; here nothing is trusted that the
// operator did not list (STAAS_TRUSTED_PROXIES).
func clientIP(trusted []*net.IPNet) echo.IPExtractor {
	if len(trusted) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range trusted {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// requireBearer guards the monitoring routes with the operator's token
// (STAAS_MONITOR_TOKEN); an empty token leaves them open, for a staas
// whose port only the monitoring network reaches.
func requireBearer(token string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if token == "" {
			return next
		}
		return func(c echo.Context) error {
			got, ok := strings.CutPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="staas monitoring"`)
				return echo.NewHTTPError(http.StatusUnauthorized, "This route needs the monitoring token (Authorization: Bearer …).")
			}
			return next(c)
		}
	}
}
