"""What the resident templates show: the interface texts in zh and en, and finished contexts
(labels in the page's language, options with their checked state, errors by id) built from a
questionnaire section, the answers and the form runtime. Templates compute nothing."""

from __future__ import annotations

from typing import Any, Mapping

from ..analysis.codebook import NPS_CODES
from ..form_runtime import OTHER, FormRuntime
from ..schema import (
    DateQuestion, MatrixQuestion, MultiQuestion, NpsQuestion, NumberQuestion, RegionQuestion, ScaleQuestion, Section,
    SingleQuestion, TextQuestion,
)

__all__ = ["TEXTS", "texts", "question_views", "review_sections", "answer_text"]

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "brand": "满意度调查", "settings": "显示设置", "other_lang": "English", "large_text": "大字模式",
        "normal_text": "标准字号", "skip": "跳到正文", "footer": "本调查匿名进行，答案仅用于统计分析。",
        "start": "开始答题", "continue": "继续答题",
        "resume_notice": "您上次的回答已保存，可以从上次离开的地方继续。",
        "privacy": "您的回答会随时保存在服务器上；用同一链接可以在任何设备上继续作答。",
        "next": "下一页", "next_review": "下一步：检查答案", "back": "上一页", "save_later": "保存，稍后继续",
        "required": "必答", "errors_heading": "请修改以下问题后继续", "your_answer": "您的回答",
        "other_specify": "如选择“其他”，请注明", "number_input": "请填写数字",
        "text_input": "请填写", "date_input": "请选择或填写日期（年-月-日）", "region_input": "请填写行政区划代码",
        "page_of": "第 {n} 页，共 {total} 页", "question_n": "第 {n} 题",
        "new_questions": "根据您的回答，本页新增了问题，请继续作答。",
        "review_heading": "请检查您的回答", "review_intro": "确认无误后点击“提交问卷”；如需修改，请点击相应部分的“修改”。",
        "edit": "修改", "submit": "提交问卷", "not_answered": "（未回答）",
        "done_title": "提交成功", "done_text": "您的问卷已成功提交并保存。衷心感谢您的参与和支持！",
        "used_title": "您已完成本次调查", "used_text": "这个邀请链接的问卷已经提交过了，感谢您的参与！",
        "saved_title": "已保存", "saved_text": "您的回答已保存。以后打开下面的链接，即可从这里继续作答：",
        "closed_title": "本次调查已结束", "closed_text": "本次调查目前不接受作答，感谢您的关注与支持！",
        "quota_title": "名额已满", "quota_text": "本次调查在您所在社区（分组）的样本已经收集完毕，无需再作答。衷心感谢您的关注与支持！",
        "invalid_title": "链接无效", "invalid_text": "没有找到这个调查链接，请核对链接是否完整，或联系发放问卷的社区工作人员。",
        "csrf_title": "页面已过期", "csrf_text": "为保护您的回答安全，本次提交未被接受。请确认浏览器允许 Cookie，然后返回重新打开链接再提交。您已保存的回答不会丢失。",
        "device_title": "您已参加过本次调查", "device_text": "本设备已经参加过本次调查，感谢您的支持！",
        "address_title": "参与次数已达上限", "address_text": "来自当前网络的参与次数已达到本次调查的上限。如有疑问，请联系社区工作人员。",
        "error_title": "出错了", "error_text": "服务器暂时无法处理您的请求，您已保存的回答不会丢失，请稍后再试。",
        "staff_login": "工作人员登录", "username": "用户名", "password": "密码", "sign_in": "登录", "sign_out": "退出登录",
        "login_failed": "用户名或密码不正确。", "staff_home": "访员录入", "signed_in": "已登录：{name}",
        "choose_wave": "选择调查", "invitation_token": "邀请码（可选）",
        "invitation_token_hint": "为持邀请函的居民录入时，填写邀请链接最后的邀请码。",
        "community": "社区（可选，不使用邀请码时）", "start_interview": "开始录入", "no_open_waves": "目前没有进行中的调查。",
        "interviewer": "访员录入模式：{name} 正在为受访居民录入答案。",
        "not_allowed": "您的账号没有录入问卷的权限。",
        "open_title": "{title}",
    },
    "en": {
        "brand": "Satisfaction survey", "settings": "Display settings", "other_lang": "中文", "large_text": "Large text",
        "normal_text": "Normal text", "skip": "Skip to content", "footer": "This survey is anonymous; answers are used for statistics only.",
        "start": "Start", "continue": "Continue",
        "resume_notice": "Your earlier answers are saved; you can continue where you left off.",
        "privacy": "Your answers are saved on the server as you go; open the same link on any device to continue.",
        "next": "Next", "next_review": "Next: check your answers", "back": "Back", "save_later": "Save and continue later",
        "required": "required", "errors_heading": "Please correct these before continuing", "your_answer": "Your answer",
        "other_specify": "If “other”, please specify", "number_input": "Enter a number",
        "text_input": "Your answer", "date_input": "Date (year-month-day)", "region_input": "Division code",
        "page_of": "Page {n} of {total}", "question_n": "Question {n}",
        "new_questions": "Your answers added questions to this page; please answer them too.",
        "review_heading": "Check your answers", "review_intro": "If everything is right, press “Submit”; to change a part, press its “Change” link.",
        "edit": "Change", "submit": "Submit", "not_answered": "(not answered)",
        "done_title": "Submitted", "done_text": "Your answers have been submitted and saved. Thank you very much for taking part!",
        "used_title": "You have completed this survey", "used_text": "The survey of this invitation has already been submitted. Thank you for taking part!",
        "saved_title": "Saved", "saved_text": "Your answers are saved. Open this link later to continue from here:",
        "closed_title": "This survey is closed", "closed_text": "The survey is not taking answers at the moment. Thank you for your interest!",
        "quota_title": "No more answers needed", "quota_text": "We already have all the answers we need from your community (group). Thank you very much for your interest!",
        "invalid_title": "Link not valid", "invalid_text": "This survey link was not found. Please check that it is complete, or ask the community staff who gave it to you.",
        "csrf_title": "Page expired", "csrf_text": "To keep your answers safe this submission was not accepted. Please allow cookies, open the link again and resubmit. Saved answers are not lost.",
        "device_title": "You have already taken part", "device_text": "This device has already taken part in this survey. Thank you!",
        "address_title": "Limit reached", "address_text": "The number of responses from this network has reached the survey's limit. Please ask the community staff.",
        "error_title": "Something went wrong", "error_text": "The server could not handle the request. Saved answers are not lost; please try again later.",
        "staff_login": "Staff sign-in", "username": "User name", "password": "Password", "sign_in": "Sign in", "sign_out": "Sign out",
        "login_failed": "The user name or password is not right.", "staff_home": "Interviewer entry", "signed_in": "Signed in: {name}",
        "choose_wave": "Choose a survey", "invitation_token": "Invitation code (optional)",
        "invitation_token_hint": "For a resident with an invitation letter: the code at the end of the invitation link.",
        "community": "Community (optional, without an invitation code)", "start_interview": "Start entering answers",
        "no_open_waves": "No survey is open at the moment.",
        "interviewer": "Interviewer mode: {name} is entering answers for a respondent.",
        "not_allowed": "Your account may not enter survey answers.",
        "open_title": "{title}",
    },
}


def texts(lang: str) -> dict[str, str]:
    return TEXTS["en" if lang == "en" else "zh"]


def _options(points: list[tuple[str, str]], chosen: Any) -> list[dict[str, Any]]:
    chosen_set = set(chosen) if isinstance(chosen, list) else {chosen}
    return [{"value": code, "label": label, "checked": code in chosen_set} for code, label in points]


def question_views(form: FormRuntime, sec: Section, answers: Mapping[str, Any], attributes: Mapping[str, Any],
                   *, raw: Mapping[str, Any], errors: Mapping[str, str], lang: str, first_number: int = 1
                   ) -> list[dict[str, Any]]:
    """One view per visible question. `raw` holds what was typed (shown again on an error);
    otherwise the stored answer is shown."""
    t = texts(lang)
    views = []
    for n, qu in enumerate(form.visible_questions(sec, answers, attributes), start=first_number):
        value = raw.get(qu.id, answers.get(qu.id))
        v: dict[str, Any] = {"id": qu.id, "kind": qu.kind, "number": n, "label": qu.label.get(lang),
                             "help": qu.help.get(lang) if qu.help else None, "required": qu.required,
                             "error": errors.get(qu.id)}
        described = [x for x, on in ((f"h-{qu.id}", v["help"]), (f"e-{qu.id}", v["error"])) if on]
        v["described"] = " ".join(described)
        if isinstance(qu, (SingleQuestion, MultiQuestion)):
            pts = [(c.code, c.label.get(lang)) for c in qu.choices]
            if qu.other:
                pts.append((OTHER, "其他" if lang != "en" else "Other"))
                v["other"] = True
                v["other_value"] = raw.get(qu.id + "_" + OTHER, answers.get(qu.id + "_" + OTHER, ""))
            v["options"] = _options(pts, value)
        elif isinstance(qu, ScaleQuestion):
            v["options"] = _options([(p.code, p.label.get(lang)) for p in form.scales[qu.scale].points], value)
        elif isinstance(qu, NpsQuestion):
            v["options"] = _options([(c, c) for c in NPS_CODES], value)
            v["low_label"] = qu.low_label.get(lang) if qu.low_label else ""
            v["high_label"] = qu.high_label.get(lang) if qu.high_label else ""
        elif isinstance(qu, MatrixQuestion):
            pts = [(p.code, p.label.get(lang)) for p in form.scales[qu.scale].points]
            v["matrix_items"] = [{"id": it.id, "label": it.label.get(lang), "error": errors.get(it.id),
                           "options": _options(pts, raw.get(it.id, answers.get(it.id)))}
                          for it in form.visible_items(qu, answers, attributes)]
        else:
            v["value"] = "" if value is None else str(value)
            if isinstance(qu, NumberQuestion):
                v["inputmode"] = "numeric" if qu.integer else "decimal"
                v["unit"] = qu.unit.get(lang) if qu.unit else None
                v["input_label"] = t["number_input"]
            elif isinstance(qu, TextQuestion):
                v["multiline"], v["max_length"] = qu.multiline, qu.max_length
                v["input_label"] = t["text_input"]
            elif isinstance(qu, DateQuestion):
                v["input_label"] = t["date_input"]
            elif isinstance(qu, RegionQuestion):
                v["inputmode"], v["input_label"] = "numeric", t["region_input"]
        views.append(v)
    return views


def answer_text(form: FormRuntime, qu: Any, value: Any, lang: str) -> str:
    """An answer as the respondent saw it (labels, not codes)."""
    if value is None:
        return texts(lang)["not_answered"]
    labels: dict[str, str] = {}
    if isinstance(qu, (SingleQuestion, MultiQuestion)):
        labels = {c.code: c.label.get(lang) for c in qu.choices}
        labels[OTHER] = "其他" if lang != "en" else "Other"
    elif isinstance(qu, (ScaleQuestion, MatrixQuestion)):
        labels = {p.code: p.label.get(lang) for p in form.scales[qu.scale].points}
    if isinstance(value, list):
        return ("、" if lang != "en" else ", ").join(labels.get(v, str(v)) for v in value)
    text = labels.get(value, str(value)) if isinstance(value, str) else f"{value:g}" if isinstance(value, float) else str(value)
    if isinstance(qu, NumberQuestion) and qu.unit:
        text += " " + qu.unit.get(lang)
    return text


def review_sections(form: FormRuntime, answers: Mapping[str, Any], attributes: Mapping[str, Any], *, lang: str,
                    href: Any) -> list[dict[str, Any]]:
    kept = form.clean(answers, attributes)
    out = []
    for sec in form.visible_sections(answers, attributes):
        rows = []
        for qu in form.visible_questions(sec, answers, attributes):
            if isinstance(qu, MatrixQuestion):
                for it in form.visible_items(qu, answers, attributes):
                    rows.append({"label": it.label.get(lang), "value": answer_text(form, qu, kept.get(it.id), lang)})
                continue
            text = answer_text(form, qu, kept.get(qu.id), lang)
            if kept.get(qu.id + "_" + OTHER):
                text += f"（{kept[qu.id + '_' + OTHER]}）"
            rows.append({"label": qu.label.get(lang), "value": text})
        out.append({"title": sec.title.get(lang), "href": href(sec.id), "rows": rows})
    return out
