"""Words and number formats of the report in Chinese (zh) and English (en).

``text(language, key, **values)`` looks a phrase up (English when a key has no translation);
the ``fmt_*`` functions format figures the same way in every section and template.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LANGUAGES = ("zh", "en")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Monthly proactive inspection report",
        "title_quarter": "Quarterly service summary",
        "title_year": "Annual service summary",
        "customer": "Customer",
        "period": "Period",
        "prepared_by": "Prepared by",
        "generated": "Generated",
        "status_draft": "DRAFT: not yet approved",
        "status_approved": "Approved",
        "contents": "Contents",
        "page": "Page",
        "page_suffix": "",
        "health_score": "Health score",
        "grade_good": "good",
        "grade_fair": "fair",
        "grade_poor": "needs attention",
        "how_derived": "How the score is derived",
        "component": "Component",
        "points_lost": "Points lost",
        "cap": "Cap",
        "comp_availability": "Availability (10 per point of unplanned unavailability)",
        "comp_capacity": "Capacity (10 per volume full within the horizon, 15 within 7 days)",
        "comp_load": "Load (5 per device with CPU or memory p95 above 90%)",
        "comp_service": "Service (5 per SLA breach or open P1/P2 ticket)",
        "comp_inspection": "On-site inspection (5 per fault, 2 per attention item)",
        "key_findings": "Key findings",
        "inventory": "Inventory",
        "device_health": "Health per device",
        "device": "Device",
        "kind": "Kind",
        "site": "Site",
        "vendor": "Vendor",
        "model": "Model",
        "serial": "Serial",
        "firmware": "Firmware",
        "os": "OS",
        "description": "Description",
        "devices_monitored": "{count} devices and hosts monitored",
        "changes": "Changes this month",
        "no_changes": "No devices were added, removed or changed.",
        "change_added": "added",
        "change_removed": "removed",
        "change_changed": "changed",
        "cpu": "CPU",
        "memory": "Memory",
        "mean": "mean",
        "p95": "p95",
        "max": "max",
        "temperature": "Max temp.",
        "errors": "Errors",
        "uptime": "Uptime",
        "reboots": "Reboots",
        "interfaces": "Interface utilisation",
        "interface": "Interface",
        "in": "in",
        "out": "out",
        "trends": "Trends of the devices that matter",
        "availability": "Availability",
        "overall_availability": "Overall availability",
        "planned_downtime": "Planned downtime",
        "unplanned_downtime": "Unplanned downtime",
        "monitored": "Monitored",
        "no_data": "no data",
        "availability_note": "Planned downtime (maintenance windows) does not count against availability.",
        "health_others": "The other {count} devices, listed below, had no finding this month; the highest of their"
        " figures: CPU p95 {cpu}, memory p95 {memory}, temperature {temperature} °C, reboots {reboots}.",
        "health_others_flagged": "The other {count} devices are listed below (see the recommendations for"
        " their findings); the highest of their figures: CPU p95 {cpu}, memory p95 {memory},"
        " temperature {temperature} °C, reboots {reboots}.",
        "availability_others": "The other {count} devices, listed below, were available 100.00% of their"
        " monitored time, with no downtime, planned or unplanned.",
        "capacity": "Capacity",
        "volume": "Volume",
        "used": "Used",
        "growth": "Growth",
        "days_until_full": "Days until full",
        "not_growing": "not growing",
        "forecast_warns": "Forecast warns",
        "traffic": "Traffic (mean)",
        "traffic_growth": "Traffic growth",
        "incidents": "Incidents and service",
        "opened": "Opened",
        "closed": "Closed",
        "breached": "Breached",
        "priority": "Priority",
        "source": "Source",
        "sla_level": "SLA level",
        "sla_attainment": "SLA attainment",
        "response": "Response",
        "resolution": "Resolution",
        "target": "Target",
        "mean_response": "Mean response time",
        "mean_resolution": "Mean resolution time",
        "breaches": "SLA breaches",
        "no_breaches": "No SLA breaches.",
        "top_incidents": "Top incidents",
        "ticket": "Ticket",
        "title_col": "Title",
        "cause": "Cause",
        "fix": "Fix",
        "spare_parts": "Spare parts used",
        "part": "Part",
        "quantity": "Qty",
        "origin": "Origin",
        "delivered": "Delivered",
        "no_tickets": "No tickets were opened this month.",
        "inspection": "On-site inspection",
        "no_inspection": "No on-site checklist was recorded this month.",
        "engineer": "Engineer",
        "item": "Item",
        "result": "Result",
        "note": "Note",
        "status_ok": "ok",
        "status_attention": "attention",
        "status_fault": "fault",
        "recommendations": "Recommendations",
        "no_recommendations": "No recommendations this month.",
        "severity": "Severity",
        "sev_high": "high",
        "sev_medium": "medium",
        "sev_low": "low",
        "satisfaction": "Satisfaction",
        "surveys": "Surveys answered",
        "score_overall": "Overall",
        "score_speed": "Speed",
        "score_quality": "Quality",
        "no_surveys": "No satisfaction surveys were answered this month.",
        "months": "Months",
        "month": "Month",
        "tickets": "Tickets",
        "summary_trends": "Across the months",
        # findings
        "f_availability": "Overall availability was {percent} ({unplanned} unplanned downtime, {planned} planned).",
        "f_capacity": "{count} volume(s) will be full within {days} days at the current growth;"
        " the first is {where} in {left} days.",
        "f_capacity_ok": "No volume is forecast to fill up within {days} days.",
        "f_tickets": "{opened} ticket(s) opened and {closed} resolved;"
        " SLA attainment {attainment}, {breaches} breach(es).",
        "f_load": "{count} device(s) ran with CPU or memory p95 above 90%: {names}.",
        "f_inspection": "The on-site inspection found {faults} fault(s) and {attention} item(s) needing attention.",
        "f_reboots": "{count} device(s) rebooted during the month: {names}.",
        # recommendations
        "r_disk": "Expand or clean up {where}: {used} used, full in about {days} days at the current growth.",
        "r_memory": "Add memory to {device}: memory p95 was {p95}.",
        "r_cpu": "Review the load of {device}: CPU p95 was {p95}; consider more capacity.",
        "r_battery": "Replace the UPS battery of {device}: the UPS reports it needs replacing.",
        "r_temperature": "Check the cooling of {device}: it reached {celsius}.",
        "r_firmware": "Upgrade the firmware of {device} ({model}) from {old} to {new}, as on the other units.",
        "r_inspection": "{device}: {label}: {note}",
        "r_errors": "Check the cabling and ports of {device}: {count} interface errors this month.",
    },
    "zh": {
        "title": "月度主动巡检报告",
        "title_quarter": "季度服务总结",
        "title_year": "年度服务总结",
        "customer": "客户",
        "period": "周期",
        "prepared_by": "服务商",
        "generated": "生成时间",
        "status_draft": "草稿：尚未审核",
        "status_approved": "已审核",
        "contents": "目录",
        "page": "第",
        "page_suffix": " 页",
        "health_score": "健康评分",
        "grade_good": "良好",
        "grade_fair": "一般",
        "grade_poor": "需关注",
        "how_derived": "评分方法",
        "component": "项目",
        "points_lost": "扣分",
        "cap": "上限",
        "comp_availability": "可用性（非计划不可用每 1 个百分点扣 10 分）",
        "comp_capacity": "容量（预测期内写满的卷每个扣 10 分，7 天内扣 15 分）",
        "comp_load": "负载（CPU 或内存 p95 超过 90% 的设备每台扣 5 分）",
        "comp_service": "服务（每次 SLA 超时或未关闭的 P1/P2 工单扣 5 分）",
        "comp_inspection": "现场巡检（每个故障项扣 5 分，每个关注项扣 2 分）",
        "key_findings": "主要发现",
        "inventory": "资产清单",
        "device_health": "设备健康状况",
        "device": "设备",
        "kind": "类型",
        "site": "站点",
        "vendor": "厂商",
        "model": "型号",
        "serial": "序列号",
        "firmware": "固件",
        "os": "操作系统",
        "description": "描述",
        "devices_monitored": "共监控 {count} 台设备和主机",
        "changes": "本月变更",
        "no_changes": "本月没有新增、移除或变更的设备。",
        "change_added": "新增",
        "change_removed": "移除",
        "change_changed": "变更",
        "cpu": "CPU",
        "memory": "内存",
        "mean": "平均",
        "p95": "p95",
        "max": "最大",
        "temperature": "最高温度",
        "errors": "错误",
        "uptime": "运行时间",
        "reboots": "重启",
        "interfaces": "接口利用率",
        "interface": "接口",
        "in": "入",
        "out": "出",
        "trends": "重点设备趋势",
        "availability": "可用性",
        "overall_availability": "总体可用性",
        "planned_downtime": "计划停机",
        "unplanned_downtime": "非计划停机",
        "monitored": "监控时长",
        "no_data": "无数据",
        "availability_note": "计划停机（维护窗口）不计入可用性。",
        "health_others": "其余 {count} 台设备（见下列）本月无异常，其各项最高值：CPU p95 {cpu}，内存 p95 {memory}，"
        "温度 {temperature} °C，重启 {reboots} 次。",
        "health_others_flagged": "其余 {count} 台设备见下列（其问题见建议部分），其各项最高值：CPU p95 {cpu}，"
        "内存 p95 {memory}，温度 {temperature} °C，重启 {reboots} 次。",
        "availability_others": "其余 {count} 台设备（见下列）在监控时间内可用性均为 100.00%，无计划或非计划停机。",
        "capacity": "容量",
        "volume": "卷",
        "used": "已用",
        "growth": "增长",
        "days_until_full": "预计写满天数",
        "not_growing": "未增长",
        "forecast_warns": "预测告警",
        "traffic": "流量（平均）",
        "traffic_growth": "流量增长",
        "incidents": "事件与服务",
        "opened": "新建",
        "closed": "已解决",
        "breached": "超时",
        "priority": "优先级",
        "source": "来源",
        "sla_level": "服务级别",
        "sla_attainment": "SLA 达成率",
        "response": "响应",
        "resolution": "解决",
        "target": "目标",
        "mean_response": "平均响应时间",
        "mean_resolution": "平均解决时间",
        "breaches": "SLA 超时",
        "no_breaches": "本月没有 SLA 超时。",
        "top_incidents": "重点事件",
        "ticket": "工单",
        "title_col": "标题",
        "cause": "原因",
        "fix": "处理",
        "spare_parts": "备件使用",
        "part": "备件",
        "quantity": "数量",
        "origin": "来源",
        "delivered": "到货",
        "no_tickets": "本月没有新建工单。",
        "inspection": "现场巡检",
        "no_inspection": "本月没有记录现场巡检表。",
        "engineer": "工程师",
        "item": "检查项",
        "result": "结果",
        "note": "备注",
        "status_ok": "正常",
        "status_attention": "关注",
        "status_fault": "故障",
        "recommendations": "建议",
        "no_recommendations": "本月没有建议。",
        "severity": "级别",
        "sev_high": "高",
        "sev_medium": "中",
        "sev_low": "低",
        "satisfaction": "满意度",
        "surveys": "回访问卷",
        "score_overall": "总体",
        "score_speed": "速度",
        "score_quality": "质量",
        "no_surveys": "本月没有回收满意度问卷。",
        "months": "月份",
        "month": "月份",
        "tickets": "工单",
        "summary_trends": "各月趋势",
        "f_availability": "总体可用性为 {percent}（非计划停机 {unplanned}，计划停机 {planned}）。",
        "f_capacity": "按当前增长，有 {count} 个卷将在 {days} 天内写满；最早的是 {where}，约 {left} 天。",
        "f_capacity_ok": "没有卷预计在 {days} 天内写满。",
        "f_tickets": "本月新建工单 {opened} 张，解决 {closed} 张；SLA 达成率 {attainment}，超时 {breaches} 次。",
        "f_load": "{count} 台设备的 CPU 或内存 p95 超过 90%：{names}。",
        "f_inspection": "现场巡检发现 {faults} 个故障项、{attention} 个关注项。",
        "f_reboots": "本月有 {count} 台设备重启：{names}。",
        "r_disk": "扩容或清理 {where}：已用 {used}，按当前增长约 {days} 天后写满。",
        "r_memory": "为 {device} 增加内存：内存 p95 为 {p95}。",
        "r_cpu": "检查 {device} 的负载：CPU p95 为 {p95}，建议扩容。",
        "r_battery": "更换 {device} 的 UPS 电池：UPS 报告电池需要更换。",
        "r_temperature": "检查 {device} 的散热：最高温度达到 {celsius}。",
        "r_firmware": "将 {device}（{model}）的固件从 {old} 升级到 {new}，与其他同型号设备一致。",
        "r_inspection": "{device}：{label}：{note}",
        "r_errors": "检查 {device} 的线缆和端口：本月接口错误 {count} 个。",
    },
}


def text(language: str, key: str, **values: object) -> str:
    table = TEXTS.get(language, TEXTS["en"])
    phrase = table.get(key) or TEXTS["en"].get(key, key)
    return phrase.format(**values) if values else phrase


def fmt_percent(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}%"


def fmt_number(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def fmt_duration(seconds: float | None, language: str) -> str:
    if seconds is None:
        return "-"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    units = ("天", "小时", "分") if language == "zh" else ("d", "h", "min")
    gap = "" if language == "zh" else " "
    parts = [f"{v}{gap}{u}" for v, u in zip((days, hours, minutes), units, strict=True) if v]
    return " ".join(parts) if parts else f"0{gap}{units[2]}"


def fmt_bytes_rate(value: float | None) -> str:
    if value is None:
        return "-"
    bits = value * 8
    for unit in ("bit/s", "kbit/s", "Mbit/s", "Gbit/s"):
        if abs(bits) < 1000:
            return f"{bits:.1f} {unit}"
        bits /= 1000
    return f"{bits:.1f} Tbit/s"


def fmt_time(value: datetime | None, timezone: str) -> str:
    if value is None:
        return "-"
    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def fmt_days(value: float | None, language: str) -> str:
    if value is None:
        return text(language, "not_growing")
    return f"{value:.1f}"
