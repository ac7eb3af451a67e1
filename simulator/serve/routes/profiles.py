"""Service and tariff profiles: each workspace has two of each, for devices to name."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from simulator.serve.catalogue import service_profiles, tariff_profiles
from simulator.serve.deps import Caller, json
from simulator.serve.errors import AUTHENTICATED, responses

router = APIRouter(tags=["profiles"], responses=responses(*AUTHENTICATED))


@router.get("/api/v1/service_profile")
def service_profile_list(who: Caller) -> Response:
    return json(service_profiles(who.workspace))


@router.get("/api/v1/tariff_profile")
def tariff_profile_list(who: Caller) -> Response:
    return json(tariff_profiles(who.workspace))
