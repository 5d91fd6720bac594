"""Reports: monthly inspection reports and quarterly/annual summaries, their recommendations,
approval, archived versions (PDF download) and on-site inspection checklists."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from vigil.server.api.deps import Ctx, CurrentUser, Db
from vigil.server.errors import InvalidInput
from vigil.server.reports import checklists, service
from vigil.server.reports.config import ReportSettings, report_settings
from vigil.server.reports.models import Report, ReportVersion
from vigil.server.reports.summaries import generate_summary

router = APIRouter(prefix="/api/v1", tags=["reports"])


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    customer_id: int
    kind: Literal["month", "quarter", "year"] = "month"
    period: str = Field(min_length=4, max_length=7, examples=["2026-10", "2026-Q4", "2026"])


class Recommendation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=32)
    text: str = Field(min_length=1, max_length=2000)
    severity: Literal["high", "medium", "low"] = "medium"
    source: str | None = Field(default=None, max_length=64)
    device: str | None = Field(default=None, max_length=128)


class ReportPublic(BaseModel):
    id: int
    customer_id: int
    kind: str
    period: str
    language: str
    status: str
    findings: list[str]
    recommendations: list[dict[str, Any]]
    figures: dict[str, Any]
    generated_at: datetime
    approved_at: datetime | None
    versions: int


class VersionPublic(BaseModel):
    version: int
    status: str
    size_bytes: int
    sha256: str
    created_by: str
    created_at: datetime


class ApprovalPublic(BaseModel):
    report: ReportPublic
    version: int
    emails_queued: int


class PhotoPublic(BaseModel):
    inspection_id: int
    key: str
    photo_type: str


def _settings(request: Request) -> ReportSettings:
    found = getattr(request.app.state, "report_settings", None)
    if isinstance(found, ReportSettings):
        return found
    ctx = request.app.state.ctx
    return report_settings(ctx.settings.extra_sections.get("reports"))


def _public(report: Report, versions: int) -> ReportPublic:
    return ReportPublic(
        id=report.id, customer_id=report.customer_id, kind=report.period_kind, period=report.period,
        language=report.language, status=report.status, findings=list(report.findings or []),
        recommendations=list(report.recommendations or []), figures=dict((report.data or {}).get("figures") or {}),
        generated_at=report.generated_at, approved_at=report.approved_at, versions=versions,
    )


def _version(v: ReportVersion) -> VersionPublic:
    return VersionPublic(version=v.version, status=v.status, size_bytes=v.size_bytes, sha256=v.sha256,
                         created_by=v.created_by, created_at=v.created_at)


@router.get("/reports", response_model=list[ReportPublic])
def list_reports(
    principal: CurrentUser, db: Db, customer_id: int | None = None,
    kind: Literal["month", "quarter", "year"] | None = None,
) -> list[ReportPublic]:
    return [_public(r, len(service.list_versions(db, principal, r.id))) for r in
            service.list_reports(db, principal, customer_id, kind)]


@router.post("/reports", response_model=ReportPublic, status_code=201)
def generate(data: ReportCreate, principal: CurrentUser, db: Db, ctx: Ctx, request: Request) -> ReportPublic:
    settings = _settings(request)
    if data.kind == "month":
        report = service.generate_month(db, ctx.metrics, settings, principal, data.customer_id, data.period)
    else:
        report = generate_summary(db, ctx.metrics, settings, principal, data.customer_id, data.kind, data.period)
    return _public(report, len(service.list_versions(db, principal, report.id)))


@router.get("/reports/{report_id}", response_model=ReportPublic)
def get_report(report_id: int, principal: CurrentUser, db: Db) -> ReportPublic:
    report = service.get_report(db, principal, report_id)
    return _public(report, len(service.list_versions(db, principal, report.id)))


@router.put("/reports/{report_id}/recommendations", response_model=ReportPublic)
def put_recommendations(
    report_id: int, items: list[Recommendation], principal: CurrentUser, db: Db, ctx: Ctx, request: Request
) -> ReportPublic:
    report = service.update_recommendations(
        db, ctx.metrics, _settings(request), principal, report_id, [i.model_dump() for i in items]
    )
    return _public(report, len(service.list_versions(db, principal, report.id)))


@router.post("/reports/{report_id}/approve", response_model=ApprovalPublic)
def approve(report_id: int, principal: CurrentUser, db: Db, ctx: Ctx, request: Request) -> ApprovalPublic:
    report, version, queued = service.approve(db, ctx.metrics, _settings(request), principal, report_id)
    return ApprovalPublic(report=_public(report, version.version), version=version.version, emails_queued=queued)


@router.get("/reports/{report_id}/versions", response_model=list[VersionPublic])
def versions(report_id: int, principal: CurrentUser, db: Db) -> list[VersionPublic]:
    return [_version(v) for v in service.list_versions(db, principal, report_id)]


@router.get(
    "/reports/{report_id}/versions/{version}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the archived PDF"}},
)
def download(report_id: int, version: int, principal: CurrentUser, db: Db) -> Response:
    found = service.get_version(db, principal, report_id, version)
    report = service.get_report(db, principal, report_id)
    name = f"report-{report.customer_id}-{report.period}-v{found.version}.pdf"
    return Response(found.pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/checklists/{kind}", response_model=list[dict[str, str]])
def get_template(kind: str, principal: CurrentUser, db: Db) -> list[dict[str, str]]:
    principal.require_staff()
    return checklists.template_for(db, kind)


@router.put("/checklists/{kind}", response_model=list[dict[str, str]])
def put_template(
    kind: str, items: list[checklists.TemplateItemIn], principal: CurrentUser, db: Db
) -> list[dict[str, str]]:
    return checklists.set_template(db, principal, kind, items)


@router.get("/inspections", response_model=list[dict[str, Any]])
def list_inspections(
    principal: CurrentUser, db: Db, customer_id: int | None = None, period: str | None = None
) -> list[dict[str, Any]]:
    return checklists.list_inspections(db, principal, customer_id, period)


@router.post("/inspections", response_model=dict[str, Any], status_code=201)
def record_inspection(data: checklists.InspectionIn, principal: CurrentUser, db: Db) -> dict[str, Any]:
    inspection = checklists.record_inspection(db, principal, data)
    found = checklists.list_inspections(db, principal, inspection.customer_id, inspection.period)
    return next(i for i in found if i["id"] == inspection.id)


@router.put("/inspections/{inspection_id}/items/{key}/photo", response_model=PhotoPublic)
async def put_photo(inspection_id: int, key: str, request: Request, principal: CurrentUser, ctx: Ctx) -> PhotoPublic:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > checklists.MAX_PHOTO_BYTES:
        raise InvalidInput(f"a photo may have at most {checklists.MAX_PHOTO_BYTES} bytes")
    body = await request.body()
    with ctx.sessions() as db, db.begin():
        item = checklists.attach_photo(db, principal, inspection_id, key, body)
        return PhotoPublic(inspection_id=inspection_id, key=key, photo_type=item.photo_type or "")
