package booking

import (
	"github.com/convene/convene/internal/failure"
	"github.com/convene/convene/internal/video"
)

// VideoApps is the catalog of video apps booking knows the providers by
// (the marketplace's); nil without a marketplace.
func (s *Service) VideoApps() *video.Registry {
	if s.Apps == nil {
		return nil
	}
	return s.Apps.Registry
}

// videoApp returns the catalog's entry of provider: zero for none, or for
// an app the catalog no longer has (the marketplace then refuses it).
func (s *Service) videoApp(provider string) video.App {
	a, _ := s.VideoApps().Lookup(provider)
	return a
}

// displayName names a provider for people ("Zoom", "Jitsi Meet").
func (s *Service) displayName(provider string) string {
	return s.VideoApps().Name(provider)
}

// checkProvider refuses a requested video provider that is neither an app
// of the catalog nor "none" ("" asks for the default).
func (s *Service) checkProvider(provider string) error {
	if _, ok := s.VideoApps().Lookup(provider); ok || provider == "" || provider == "none" {
		return nil
	}
	return failure.Field("video_provider", "%q is not %s", provider, s.VideoApps().Choices())
}
