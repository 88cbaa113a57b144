"""Figure skeletons: joints in figure units for every drawable pose, and the transform that places them.

Figure units: v = 0 at the top of the hat, v = 1 at the soles of a standing figure, u > 0 towards where the
figure faces. A pose is a set of joints (neck, shoulders, elbows, hands, hips, knees, feet) plus a whole-body
rotation about a pivot (falling, lying). Mounted figures take their legs from the rider pose and their arms
from their own pose, so a rider can aim, shoot, point or talk from the saddle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Point = tuple[float, float]
JOINTS = (
    "neck",
    "shoulder_b",
    "elbow_b",
    "hand_b",
    "shoulder_f",
    "elbow_f",
    "hand_f",
    "hip_b",
    "knee_b",
    "foot_b",
    "hip_f",
    "knee_f",
    "foot_f",
)
ARMS = ("elbow_b", "hand_b", "elbow_f", "hand_f")
LEGS = ("hip_b", "knee_b", "foot_b", "hip_f", "knee_f", "foot_f")
NECK = (0.0, 0.195)

STAND: dict[str, Point] = {
    "neck": NECK,
    "shoulder_b": (-0.088, 0.228),
    "shoulder_f": (0.088, 0.228),
    "elbow_b": (-0.13, 0.33),
    "hand_b": (-0.125, 0.455),
    "elbow_f": (0.13, 0.33),
    "hand_f": (0.125, 0.455),
    "hip_b": (-0.05, 0.47),
    "knee_b": (-0.058, 0.7),
    "foot_b": (-0.068, 0.96),
    "hip_f": (0.05, 0.47),
    "knee_f": (0.058, 0.7),
    "foot_f": (0.068, 0.96),
}


@dataclass(frozen=True)
class Pose:
    """Joint positions and a whole-body rotation (degrees, about `pivot`, then shifted by `shift`)."""

    name: str
    joints: dict[str, Point]
    angle: float = 0.0
    pivot: Point = (0.0, 0.96)
    shift: Point = (0.0, 0.0)

    @property
    def head_offset(self) -> Point:
        """How far the head moved with the neck from its standing place."""
        return self.joints["neck"][0] - NECK[0], self.joints["neck"][1] - NECK[1]


def _with(base: dict[str, Point], **changes: Point) -> dict[str, Point]:
    return {**base, **changes}


def _lowered(base: dict[str, Point], dv: float, du: float = 0.0) -> dict[str, Point]:
    """The upper body (neck, shoulders, arms) moved by (du, dv): sitting and crouching figures."""
    upper = ("neck", "shoulder_b", "shoulder_f", *ARMS)
    return {k: ((u + du, v + dv) if k in upper else (u, v)) for k, (u, v) in base.items()}


_WALK = _with(
    STAND,
    knee_f=(0.085, 0.69),
    foot_f=(0.15, 0.955),
    knee_b=(-0.035, 0.71),
    foot_b=(-0.13, 0.95),
    elbow_f=(0.1, 0.335),
    hand_f=(0.05, 0.44),
    elbow_b=(-0.09, 0.335),
    hand_b=(-0.02, 0.445),
)
_RUN = _lowered(
    _with(
        STAND,
        knee_f=(0.17, 0.62),
        foot_f=(0.15, 0.86),
        knee_b=(-0.03, 0.74),
        foot_b=(-0.2, 0.83),
        hip_f=(0.06, 0.47),
        hip_b=(-0.04, 0.47),
    ),
    0.0,
    0.045,
)
_RUN = _with(_RUN, elbow_f=(0.2, 0.33), hand_f=(0.27, 0.25), elbow_b=(-0.06, 0.35), hand_b=(0.02, 0.42))
_STANCE = _with(STAND, knee_f=(0.08, 0.7), foot_f=(0.12, 0.96), knee_b=(-0.075, 0.7), foot_b=(-0.11, 0.96))
_AIM = _with(_STANCE, elbow_f=(0.2, 0.232), hand_f=(0.31, 0.226))
_AIM_RIFLE = _with(
    _STANCE, elbow_f=(0.19, 0.27), hand_f=(0.25, 0.24), elbow_b=(-0.02, 0.31), hand_b=(0.07, 0.245)
)
_PUNCH = _lowered(
    _with(
        STAND,
        knee_f=(0.13, 0.68),
        foot_f=(0.2, 0.96),
        knee_b=(-0.09, 0.72),
        foot_b=(-0.2, 0.96),
        hip_f=(0.07, 0.47),
        hip_b=(-0.03, 0.47),
    ),
    0.01,
    0.04,
)
_PUNCH = _with(_PUNCH, elbow_f=(0.24, 0.24), hand_f=(0.35, 0.225), elbow_b=(0.0, 0.33), hand_b=(0.09, 0.27))
_POINT = _with(STAND, elbow_f=(0.17, 0.17), hand_f=(0.26, 0.09))
_TALK = _with(STAND, elbow_f=(0.16, 0.33), hand_f=(0.24, 0.27), elbow_b=(-0.15, 0.32), hand_b=(-0.1, 0.43))
_SIT = _lowered(
    _with(
        STAND,
        hip_b=(-0.03, 0.64),
        hip_f=(0.05, 0.64),
        knee_b=(0.16, 0.66),
        foot_b=(0.16, 0.96),
        knee_f=(0.21, 0.655),
        foot_f=(0.22, 0.96),
    ),
    0.17,
)
_SIT = _with(_SIT, elbow_f=(0.1, 0.52), hand_f=(0.19, 0.6), elbow_b=(-0.1, 0.52), hand_b=(-0.02, 0.62))
_CROUCH = _lowered(
    _with(
        STAND,
        hip_b=(-0.04, 0.66),
        hip_f=(0.04, 0.66),
        knee_f=(0.16, 0.63),
        foot_f=(0.12, 0.96),
        knee_b=(0.02, 0.93),
        foot_b=(-0.16, 0.95),
    ),
    0.2,
    0.07,
)
_CROUCH = _with(_CROUCH, elbow_f=(0.2, 0.55), hand_f=(0.25, 0.68), elbow_b=(0.0, 0.55), hand_b=(0.08, 0.63))
_FALL = _with(
    STAND,
    elbow_f=(0.15, 0.13),
    hand_f=(0.2, 0.03),
    elbow_b=(-0.17, 0.15),
    hand_b=(-0.16, 0.04),
    knee_f=(0.12, 0.66),
    foot_f=(0.22, 0.85),
    knee_b=(-0.04, 0.71),
    foot_b=(-0.05, 0.96),
)
_LIE = _with(STAND, elbow_f=(0.14, 0.3), hand_f=(0.22, 0.22), knee_f=(0.1, 0.69), foot_f=(0.08, 0.96))
RIDE_LEGS: dict[str, Point] = {
    "hip_b": (-0.035, 0.47),
    "knee_b": (0.07, 0.6),
    "foot_b": (0.03, 0.77),
    "hip_f": (0.035, 0.47),
    "knee_f": (0.1, 0.61),
    "foot_f": (0.055, 0.78),
}
_RIDE = _with(
    STAND, elbow_f=(0.13, 0.33), hand_f=(0.21, 0.37), elbow_b=(-0.03, 0.34), hand_b=(0.16, 0.38), **RIDE_LEGS
)

POSES: dict[str, Pose] = {
    "stand": Pose("stand", STAND),
    "walk": Pose("walk", _WALK),
    "run": Pose("run", _RUN),
    "ride": Pose("ride", _RIDE),
    "aim": Pose("aim", _AIM),
    "shoot": Pose("shoot", _with(_AIM, elbow_f=(0.2, 0.228), hand_f=(0.31, 0.214))),
    "punch": Pose("punch", _PUNCH),
    "fall": Pose("fall", _FALL, angle=-38.0, pivot=(0.0, 0.96), shift=(0.26, -0.03)),
    "lie": Pose("lie", _LIE, angle=90.0, pivot=(0.0, 0.96), shift=(-0.45, -0.085)),
    "sit": Pose("sit", _SIT),
    "crouch": Pose("crouch", _CROUCH),
    "point": Pose("point", _POINT),
    "talk": Pose("talk", _TALK),
}


def pose_for(name: str, *, mounted: bool = False, rifle: bool = False) -> Pose:
    """The skeleton of a pose name; a rifle changes the aiming arms, a saddle the legs."""
    pose = POSES.get(name, POSES["stand"])
    joints = dict(pose.joints)
    if rifle and name in ("aim", "shoot"):
        joints.update({k: _AIM_RIFLE[k] for k in ARMS})
    if mounted and name not in ("fall", "lie"):
        joints.update(RIDE_LEGS)
        if name in ("walk", "run", "stand", "sit", "crouch", "punch"):
            joints.update({k: _RIDE[k] for k in ARMS})
        joints["neck"] = (joints["neck"][0], NECK[1]) if name in ("sit", "crouch") else joints["neck"]
        joints["shoulder_b"], joints["shoulder_f"] = STAND["shoulder_b"], STAND["shoulder_f"]
        return Pose(name if name != "stand" else "ride", joints)
    return Pose(pose.name, joints, pose.angle, pose.pivot, pose.shift)


def transform(pose: Pose, point: Point) -> Point:
    """A figure-unit point of the standing design moved by the pose's rotation and shift."""
    if not pose.angle and pose.shift == (0.0, 0.0):
        return point
    a = math.radians(pose.angle)
    du, dv = point[0] - pose.pivot[0], point[1] - pose.pivot[1]
    u = pose.pivot[0] + du * math.cos(a) - dv * math.sin(a) + pose.shift[0]
    v = pose.pivot[1] + du * math.sin(a) + dv * math.cos(a) + pose.shift[1]
    return u, v
