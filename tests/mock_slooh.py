"""A programmable in-memory Slooh for unit tests over httpx.MockTransport (no sockets)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

Responder = Callable[[httpx.Request, dict[str, Any]], httpx.Response | None]


def picture(number: int, **extra: Any) -> dict[str, Any]:
    """A photoRoll item shaped like the service's (ids as strings, empty customerImageId)."""
    return {
        "imageId": str(1000 + number),
        "customerImageId": "",
        "missionId": "",
        "scheduledMissionId": str(500 + number // 3),
        "imageTitle": f"Orion Nebula (M42) #{number}",
        "imageDownloadURL": f"https://polaris.example/x/m42_20260121_011658_0_id{number:04d}_lrgb.png?rand={number}.5",
        "telescopeName": "Canary Two",
        "instrumentName": "Wide Field",
        "displayDate": "Feb. 7, 2026",
        "displayTime": "20:15:30 UTC",
        "imageType": "PNG",
        "unknownField": {"x": 1},
        **extra,
    }


@dataclass
class MockSlooh:
    """Answers the contract's endpoints; hooks let a test inject faults per call."""

    pictures: list[dict[str, Any]] = field(default_factory=lambda: [picture(n) for n in range(120)])
    password: str = "s3cret-pass"
    token_value: str = "ab" * 20
    logins: int = 0
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    cookies_seen: list[str | None] = field(default_factory=list)
    hooks: list[Responder] = field(default_factory=list)
    valid_generation: int = 0
    fits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def count(self, path_end: str) -> int:
        return sum(1 for path, _ in self.calls if path.endswith(path_end))

    def expire(self) -> None:
        """End the current session: the old token stops working."""
        self.valid_generation = -1

    def handle(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content or b"{}")
        self.calls.append((request.url.path, body))
        for hook in list(self.hooks):
            answer = hook(request, body)
            if answer is not None:
                return answer
        path = request.url.path
        if path.endswith("generateSessionToken"):
            return httpx.Response(200, json={"sloohSessionToken": "sess-token-123456"})
        if path.endswith("/login"):
            return self._login(request, body)
        if body.get("token") != f"{self.token_value}{self.valid_generation}":
            return httpx.Response(
                200, json={"apiError": True, "statusCode": 401, "errorMsg": "expired"}
            )
        if path.endswith("getMyPictures"):
            return self._pictures(body)
        if path.endswith("getUserGravityStatus"):
            return httpx.Response(200, json={"displayName": "Star Gazer", "tier": "Apprentice"})
        if path.endswith("getMissionFITS"):
            groups = self.fits.get(int(body["scheduledMissionId"]), [])
            return httpx.Response(200, json={"groupList": groups})
        if path.endswith("getMissionImages"):
            return httpx.Response(200, json={"totalCount": "0", "imageList": []})
        return httpx.Response(404)

    def _login(self, request: httpx.Request, body: dict[str, Any]) -> httpx.Response:
        self.cookies_seen.append(request.headers.get("cookie"))
        if body.get("passwd") != self.password:
            return httpx.Response(
                200,
                json={
                    "loginError": "true",
                    "errorMsg": "Wrong password, sorry",
                    "statusCode": 200,
                    "apiError": False,
                },
            )
        self.logins += 1
        self.valid_generation = self.logins
        return httpx.Response(
            200,
            json={
                "at": "7",
                "cid": "123456789",
                "token": f"{self.token_value}{self.logins}",
                "loginError": "false",
                "displayName": "Star Gazer",
            },
        )

    def _pictures(self, body: dict[str, Any]) -> httpx.Response:
        first, count = int(body["firstImageNumber"]), int(body["maxImageCount"])
        items = self.pictures[first - 1 : first - 1 + count]
        return httpx.Response(
            200,
            json={
                "firstImageNumber": first,
                "maxImageCount": count,
                "imageCount": len(items),
                "totalCount": str(len(self.pictures)),
                "imageList": items,
            },
        )
