/* The page's words, Chinese (the default) and English. Waste classes and
 * alert kinds are the daemon's codes (docs/indicators.md, docs/alerts.md);
 * a code without a label here is shown as it is. */
"use strict";
window.WT_I18N = {
  zh: {
    title: "城市固体废物监管", city: "全市今日", districts: "各区今日",
    by_class: "分类收运量", district: "区", collected: "收运量",
    recycling: "回收利用率", harmless: "无害化处理率", closure: "联单闭合率",
    clearance: "中转站日产日清", discrepancy_rate: "差异率",
    overdue: "超期联单", discrepancies: "差异联单", open_manifests: "在途联单",
    alerts: "待处理告警与差异", map: "车辆与设施", loaded: "重车",
    empty: "空车", stale: "信号过期", facility: "设施",
    trends: "近30天趋势", trend_tonnage: "分类收运量（吨/日）",
    trend_recycling: "回收利用率与目标", target: "目标", close: "关闭",
    last_message: "最后消息", last_commit: "最后入库", ago: "前",
    never: "无", healthy: "运行正常", unhealthy: "运行异常",
    unreachable: "无法连接守护进程", banner_unhealthy: "守护进程运行异常：",
    banner_unreachable: "无法连接守护进程，显示的是最后一次取得的数据",
    no_alerts: "无待处理告警", no_data: "暂无数据", tonnes: "吨",
    manifest: "联单", versions: "版本", tickets: "关联磅单",
    verdict: "核对结论", why: "原因", version: "版本", status: "状态",
    time: "时间", plate: "车牌", generator: "产生单位", receiver: "接收单位",
    declared: "申报量", received: "接收量", diff: "差异", ticket: "磅单",
    net: "净重", method: "匹配方式", allocation: "分配量",
    loading: "加载中…", not_found: "未找到联单", scale: "比例尺",
    applied: "已采用", not_linked: "未关联", city_row: "全市",
    cls: {
      msw_kg: "生活垃圾", cw_kg: "建筑垃圾", hw_kg: "危险废物",
      mw_kg: "医疗废物", other_kg: "其他",
      "msw.food": "厨余垃圾", "msw.recyclable": "可回收物",
      "msw.residual": "其他垃圾", "msw.hazardous": "有害垃圾",
      "msw.mixed": "混合垃圾", "msw.bulky": "大件垃圾",
      "msw.garden": "园林垃圾", "cw.excavated_soil": "渣土",
      "cw.engineering": "工程垃圾", "cw.demolition": "拆除垃圾",
      "cw.renovation": "装修垃圾", "cw.slurry": "泥浆", hw: "危险废物",
      medical: "医疗废物", "agri.film": "农膜", "agri.manure": "畜禽粪污",
      "agri.pesticide_pack": "农药包装", "agri.straw": "秸秆"
    },
    verdicts: { ok: "一致", discrepancy: "差异", pending: "待核对",
      overdue: "超期" },
    kinds: {
      discrepancy: "联单差异", overdue_manifest: "联单超期",
      clinic_pickup_overdue: "医疗废物超期未收", station_not_cleared:
        "中转站未日产日清", facility_alarm: "设施报警",
      facility_silent: "设施失联", unknown_facility: "未登记设施",
      unauthorised_unload: "违规倾倒", night_window: "渣土车时段违规",
      permit: "准运证问题"
    },
    severities: { critical: "严重", warning: "警告", info: "提示" }
  },
  en: {
    title: "Municipal solid waste supervision", city: "City today",
    districts: "Districts today", by_class: "Tonnage by class",
    district: "District", collected: "Collected", recycling: "Recycling",
    harmless: "Harmless treatment", closure: "Manifest closure",
    clearance: "Station clearance", discrepancy_rate: "Discrepancy rate",
    overdue: "Overdue manifests", discrepancies: "Discrepancies",
    open_manifests: "Open manifests", alerts: "Open alerts and discrepancies",
    map: "Trucks and facilities", loaded: "Loaded", empty: "Empty",
    stale: "Stale", facility: "Facility", trends: "Last 30 days",
    trend_tonnage: "Tonnage by class (t/day)",
    trend_recycling: "Recycling rate and target", target: "target",
    close: "Close", last_message: "last message", last_commit: "last commit",
    ago: "ago", never: "none", healthy: "Healthy", unhealthy: "Unhealthy",
    unreachable: "Daemon unreachable", banner_unhealthy: "Daemon unhealthy: ",
    banner_unreachable:
      "Cannot reach the daemon; showing the last data received",
    no_alerts: "No open alerts", no_data: "No data", tonnes: "t",
    manifest: "Manifest", versions: "Versions", tickets: "Linked tickets",
    verdict: "Verdict", why: "Why", version: "Version", status: "Status",
    time: "Time", plate: "Plate", generator: "Generator",
    receiver: "Receiver", declared: "Declared", received: "Received",
    diff: "Difference", ticket: "Ticket", net: "Net", method: "Method",
    allocation: "Allocated", loading: "Loading…",
    not_found: "Manifest not found", scale: "scale",
    applied: "Applied", not_linked: "not linked", city_row: "City",
    cls: {
      msw_kg: "Household", cw_kg: "Construction", hw_kg: "Hazardous",
      mw_kg: "Medical", other_kg: "Other",
      "msw.food": "Food waste", "msw.recyclable": "Recyclables",
      "msw.residual": "Residual waste", "msw.hazardous": "Household hazardous",
      "msw.mixed": "Mixed waste", "msw.bulky": "Bulky waste",
      "msw.garden": "Garden waste", "cw.excavated_soil": "Excavated soil",
      "cw.engineering": "Engineering waste", "cw.demolition": "Demolition waste",
      "cw.renovation": "Renovation waste", "cw.slurry": "Slurry",
      hw: "Hazardous waste", medical: "Medical waste", "agri.film": "Farm film",
      "agri.manure": "Manure", "agri.pesticide_pack": "Pesticide packaging",
      "agri.straw": "Straw"
    },
    verdicts: { ok: "ok", discrepancy: "discrepancy", pending: "pending",
      overdue: "overdue" },
    kinds: {
      discrepancy: "Manifest discrepancy", overdue_manifest: "Overdue manifest",
      clinic_pickup_overdue: "Clinic pickup overdue",
      station_not_cleared: "Station not cleared",
      facility_alarm: "Facility alarm", facility_silent: "Facility silent",
      unknown_facility: "Unknown facility",
      unauthorised_unload: "Unauthorised unload",
      night_window: "Muck truck outside hours", permit: "Permit problem"
    },
    severities: { critical: "critical", warning: "warning", info: "info" }
  }
};
