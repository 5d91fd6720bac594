"""Devices and their credentials (write-only)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from vigil.server.api.deps import Ctx, CurrentUser, Db
from vigil.server.schemas.devices import (
    CredentialsIn,
    CredentialsPublic,
    DeviceCreate,
    DevicePublic,
    DeviceUpdate,
)
from vigil.server.services import devices

router = APIRouter(prefix="/api/v1/devices", tags=["devices"])


@router.get("", response_model=list[DevicePublic])
def list_devices(
    principal: CurrentUser, db: Db, customer_id: int | None = None, site_id: int | None = None
) -> list[DevicePublic]:
    return [DevicePublic.model_validate(d) for d in devices.list_devices(db, principal, customer_id, site_id)]


@router.post("", response_model=DevicePublic, status_code=201)
def create_device(data: DeviceCreate, principal: CurrentUser, db: Db) -> DevicePublic:
    return DevicePublic.model_validate(devices.create_device(db, principal, data))


@router.get("/{device_id}", response_model=DevicePublic)
def get_device(device_id: int, principal: CurrentUser, db: Db) -> DevicePublic:
    return DevicePublic.model_validate(devices.get_device(db, principal, device_id))


@router.patch("/{device_id}", response_model=DevicePublic)
def update_device(device_id: int, data: DeviceUpdate, principal: CurrentUser, db: Db) -> DevicePublic:
    return DevicePublic.model_validate(devices.update_device(db, principal, device_id, data))


@router.delete("/{device_id}", status_code=204)
def delete_device(device_id: int, principal: CurrentUser, db: Db) -> Response:
    devices.delete_device(db, principal, device_id)
    return Response(status_code=204)


@router.get("/{device_id}/credentials", response_model=CredentialsPublic)
def credential_kinds(device_id: int, principal: CurrentUser, db: Db) -> CredentialsPublic:
    return CredentialsPublic(**devices.credential_kinds(db, principal, device_id))


@router.put("/{device_id}/credentials", response_model=CredentialsPublic)
def set_credentials(device_id: int, data: CredentialsIn, principal: CurrentUser, db: Db, ctx: Ctx) -> CredentialsPublic:
    return CredentialsPublic(**devices.set_credentials(db, principal, ctx.secrets, device_id, data))
