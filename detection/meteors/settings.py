"""Settings of meteor verification: one frozen :class:`MeteorSettings`, validated where it is made.

:class:`~detection.meteors.detector.MeteorDetector` takes it in its constructor; every threshold and limit
of the line search, the centroids and the checks of :mod:`detection.meteors.checks` is here, in DN, px,
frames or deg/s as its name says.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MeteorSettings"]


@dataclass(frozen=True)
class MeteorSettings:
    """Settings of meteor verification (all have defaults).

    Attributes
    ----------
    k_std, j_dn : float
        A pixel is lit in its frame when ``MAXPIXEL - AVEPIXEL > k_std * STDPIXEL + j_dn`` (DN).
    min_frames : int
        Fewest frames with a centroid for a meteor.
    min_speed_deg_s, max_speed_deg_s : float
        Angular speed range (deg/s, from the caller's plate scale).
    max_residual_px : float
        Largest RMS distance of the centroids from the fitted line (straightness).
    static_ave_dn : float
        Pixels whose ``AVEPIXEL`` exceeds the median sky by more than this (stars, lights) are masked.
    window_frames, window_step_frames : int
        Sliding frame windows in which lines are sought (merged afterwards).
    line_tol_px : float
        Distance from a line within which a lit pixel belongs to it.
    min_line_points : int
        Fewest lit pixels for a line.
    flash_fraction : float
        A frame whose lit pixels exceed this fraction of the unmasked image is a whole-frame change.
    max_whole_frame : float
        Largest number of lit pixels around a track (12 to 50 px from it, in its frames) per lit pixel
        on it (whole_frame check: clouds, flashes, rain light up the surroundings too; measured: meteors
        0.0-0.03 in clean frames, up to 0.55 for fast flaring meteors in H.264 at a camera's bit rate
        (bench/detection.py), passing clouds 0.8-2.3). A halo centred on a bright head (a fireball's glow,
        a flare) is left out of the count (:mod:`detection.meteors.halo`).
    min_monotonic : float
        Smallest fraction of frame-to-frame steps that go forward along the track.
    max_blink : float
        Largest fraction of missing frames inside the track (a blinking light).
    satellite_block_fraction : float
        A track lasting more than this fraction of the block is slow and steady (satellite).
    min_motion_px : float
        Smallest track length (stationary check).
    star_ave_dn, max_star_light : float
        A point lies on a star when ``AVEPIXEL`` within 1 px of it exceeds the median of its 21 x 21 px
        surroundings by ``star_ave_dn``; at most ``max_star_light`` of a detection's summed intensity may
        come from such points (star check).
    fireball_peak_dn, fireball_saturated_px, fireball_length_deg : float
        A detection is a fireball when its brightest frame point exceeds ``fireball_peak_dn`` summed DN,
        or it has at least ``fireball_saturated_px`` saturated pixels, or lights the sky.
    join_gap_frames : int
        Most frames without a point between two pieces of one track that are joined into one
        (:func:`detection.meteors.sky_track.join_pieces`: a flare's glare, a damaged frame).
    short_max_frames : int
        A track of at most this many points is short and must show the evidence of
        :mod:`detection.meteors.short_track` (issue 11: every false positive left was a 4-frame track).
    short_min_snr : float
        At least ``min_frames - 1`` points whose light, summed over the head's streak in their own frame,
        reaches this many times the noise of that sum (``short_snr``; measured in bench/detection.py,
        seeds 1 and 2: short false positives 2.5-6.8, short detections of real meteors 9.8 and more).
    short_dip_sigma : float
        A point dips in the light curve when it lies below both neighbours by more than this many times
        its noise (``short_light_curve``: ``min_frames`` points in successive frames without a dip).
    short_key_frame_ratio, short_max_key_light : float
        A frame is a codec key frame when it departs from the mean image by this many times the block's
        median departure; at most ``short_max_key_light`` of the track's light in key frames (a 4-5
        frame meteor puts at most one point, a quarter to a half of its light, in one; the key-frame
        blip of seed 1's false positive held 71 %).
    short_site_std_ratio, short_max_site_light : float
        A point is on a flickering site when ``STDPIXEL`` near it is this many times that of its
        surroundings (at least 2 DN), or on a star site (``star_ave_dn``); at most
        ``short_max_site_light`` of the track's light on sites (``short_site``: a short meteor that
        crosses a star puts one point of 4-5 on it; a chain of noise lined up with a spike, most).
    follow_track_ends : bool
        In decoded frames, follow a slow established track's head beyond the ends the line finder gave
        (:mod:`detection.meteors.track_ends`). Off by default: it puts meteor5.flv's ends at 11-128, outside
        the README's by-eye 27+-5..119+-5, and meteor4.flv's fireball at 0-285 fails the satellite check
        (0.93 of its block).
    """

    k_std: float = 2.0
    j_dn: float = 4.0
    min_frames: int = 4
    min_speed_deg_s: float = 2.0
    max_speed_deg_s: float = 51.0
    max_residual_px: float = 2.0
    static_ave_dn: float = 60.0
    window_frames: int = 64
    window_step_frames: int = 32
    line_tol_px: float = 2.5
    min_line_points: int = 6
    flash_fraction: float = 0.02
    max_whole_frame: float = 0.6
    min_monotonic: float = 0.8
    max_blink: float = 0.5
    satellite_block_fraction: float = 0.9
    min_motion_px: float = 5.0
    star_ave_dn: float = 10.0
    max_star_light: float = 0.5
    fireball_peak_dn: float = 50000.0
    fireball_saturated_px: int = 100
    fireball_length_deg: float = 60.0
    join_gap_frames: int = 12
    short_max_frames: int = 5
    short_min_snr: float = 7.0
    short_dip_sigma: float = 3.0
    short_key_frame_ratio: float = 1.5
    short_max_key_light: float = 0.5
    short_site_std_ratio: float = 3.0
    short_max_site_light: float = 0.34
    follow_track_ends: bool = False

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, expected: str) -> None:
            if not ok:
                raise ValueError(f"MeteorSettings.{name}={getattr(self, name)!r}: expected {expected}")

        need(self.k_std >= 0, "k_std", ">= 0")
        need(self.j_dn >= 0, "j_dn", ">= 0 DN")
        need(isinstance(self.min_frames, int) and self.min_frames >= 2, "min_frames", "an integer >= 2")
        need(self.min_speed_deg_s >= 0, "min_speed_deg_s", ">= 0 deg/s")
        need(
            self.max_speed_deg_s > self.min_speed_deg_s,
            "max_speed_deg_s",
            f"> min_speed_deg_s ({self.min_speed_deg_s})",
        )
        need(self.max_residual_px > 0, "max_residual_px", "> 0 px")
        need(self.static_ave_dn > 0, "static_ave_dn", "> 0 DN")
        need(8 <= self.window_frames <= 256, "window_frames", "an integer 8..256")
        need(
            1 <= self.window_step_frames <= self.window_frames,
            "window_step_frames",
            f"1..window_frames ({self.window_frames})",
        )
        need(self.line_tol_px > 0, "line_tol_px", "> 0 px")
        need(self.min_line_points >= 3, "min_line_points", "an integer >= 3")
        need(0 < self.flash_fraction <= 1, "flash_fraction", "in (0, 1]")
        need(0 < self.max_whole_frame <= 1, "max_whole_frame", "in (0, 1]")
        need(0 <= self.min_monotonic <= 1, "min_monotonic", "in [0, 1]")
        need(0 <= self.max_blink <= 1, "max_blink", "in [0, 1]")
        need(0 < self.satellite_block_fraction <= 1, "satellite_block_fraction", "in (0, 1]")
        need(self.min_motion_px >= 0, "min_motion_px", ">= 0 px")
        need(self.star_ave_dn > 0, "star_ave_dn", "> 0 DN")
        need(0 < self.max_star_light <= 1, "max_star_light", "in (0, 1]")
        need(self.fireball_peak_dn > 0, "fireball_peak_dn", "> 0 DN")
        need(self.fireball_saturated_px >= 1, "fireball_saturated_px", "an integer >= 1")
        need(self.fireball_length_deg > 0, "fireball_length_deg", "> 0 deg")
        need(isinstance(self.join_gap_frames, int) and self.join_gap_frames >= 0, "join_gap_frames",
             "an integer >= 0")  # fmt: skip
        need(isinstance(self.short_max_frames, int) and self.short_max_frames >= 0, "short_max_frames",
             "an integer >= 0")  # fmt: skip
        need(self.short_min_snr >= 0, "short_min_snr", ">= 0")
        need(self.short_dip_sigma >= 0, "short_dip_sigma", ">= 0")
        need(self.short_key_frame_ratio > 1, "short_key_frame_ratio", "> 1")
        need(0 <= self.short_max_key_light <= 1, "short_max_key_light", "in [0, 1]")
        need(self.short_site_std_ratio > 1, "short_site_std_ratio", "> 1")
        need(0 <= self.short_max_site_light <= 1, "short_max_site_light", "in [0, 1]")
        need(isinstance(self.follow_track_ends, bool), "follow_track_ends", "true or false")
