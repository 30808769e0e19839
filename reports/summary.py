"""The summary chapter written in sentences from the numbers of a context (zh and en)."""

from __future__ import annotations

import math

from . import fmt
from .context import NationalReport
from .rating_context import MonthlyRatingReport

__all__ = ["summary_sentences", "monthly_sentences"]


def _ok(x: float) -> bool:
    return x is not None and math.isfinite(x)


def summary_sentences(c: NationalReport) -> list[str]:
    zh = c.lang == "zh"
    level = f"{100 * c.confidence_level:g}%"
    o = c.overall
    out: list[str] = []
    f = c.fieldwork
    if zh:
        out.append(f"本次调查共回收问卷{fmt.count(f.rows)}份，纳入计算{fmt.count(f.used)}份，"
                   f"按人口结构加权后，{c.index_label}为{fmt.index(o.value)}"
                   f"（{level}置信区间{fmt.interval(o.low, o.high)}）。")
    else:
        out.append(f"Of {fmt.count(f.rows)} questionnaires returned, {fmt.count(f.used)} were scored; weighted to "
                   f"the population, the {c.index_label.lower()} is {fmt.index(o.value)} "
                   f"({level} confidence interval {fmt.interval(o.low, o.high)}).")
    u = c.fieldwork.unweighted_index
    if _ok(u) and _ok(o.value) and _ok(o.std_error) and o.std_error > 0:
        moved = abs(o.value - u)
        if zh:
            out.append(f"未加权时{c.index_label}为{fmt.index(u)}，加权使其变化{fmt.index(moved)}分，"
                       + (f"超过其标准误（{fmt.index(o.std_error)}）：样本的人口结构与总体不同，必须加权。"
                          if moved > o.std_error else
                          f"未超过其标准误（{fmt.index(o.std_error)}）：加权对总指数影响不大。"))
        else:
            out.append(f"Unweighted, the index is {fmt.index(u)}; weighting moves it by {fmt.index(moved)} points, "
                       + (f"more than its standard error ({fmt.index(o.std_error)}): the sample's make-up differs "
                          "from the population's, and weighting is needed."
                          if moved > o.std_error else
                          f"less than its standard error ({fmt.index(o.std_error)}): weighting changes little."))
    dims = sorted(c.of_level("dimension"), key=lambda n: -n.score.value)
    if dims:
        hi, lo = dims[0], dims[-1]
        if zh:
            out.append(f"六个维度中，{hi.label}得分最高（{fmt.index(hi.score.value)}），"
                       f"{lo.label}得分最低（{fmt.index(lo.score.value)}）。"
                       if len(dims) == 6 else
                       f"各维度中，{hi.label}得分最高（{fmt.index(hi.score.value)}），"
                       f"{lo.label}得分最低（{fmt.index(lo.score.value)}）。")
        else:
            out.append(f"Of the {len(dims)} dimensions, {hi.label.lower()} scores highest "
                       f"({fmt.index(hi.score.value)}) and {lo.label.lower()} lowest ({fmt.index(lo.score.value)}).")
    inds = sorted((n for n in c.of_level("indicator") if _ok(n.score.value)), key=lambda n: -n.score.value)
    k = min(c.top_n, 3, len(inds) // 2)
    if k:
        top = inds[:k]
        bottom = inds[-k:][::-1]
        sep = "、" if zh else ", "
        if zh:
            out.append("表现最好的指标是" + sep.join(f"{n.label}（{fmt.index(n.score.value)}）" for n in top) + "；"
                       "表现最弱的指标是" + sep.join(f"{n.label}（{fmt.index(n.score.value)}）" for n in bottom) + "。")
        else:
            out.append("The strongest indicators are " + sep.join(f"{n.label.lower()} ({fmt.index(n.score.value)})"
                                                                 for n in top) +
                       "; the weakest are " + sep.join(f"{n.label.lower()} ({fmt.index(n.score.value)})"
                                                       for n in bottom) + ".")
    if c.changes:
        sig = [ch for ch in c.changes if ch.significant]
        overall = next((ch for ch in c.changes if ch.id == "overall_index"), None)
        if overall is not None:
            if zh:
                word = ("显著上升" if overall.difference > 0 else "显著下降") if overall.significant else "变化不显著"
                out.append(f"与{c.previous_wave}相比，{c.index_label}{word}（{fmt.signed(overall.difference)}分，"
                           f"校正p={fmt.pvalue(overall.p_adjusted)}）。")
            else:
                word = (("rose significantly" if overall.difference > 0 else "fell significantly")
                        if overall.significant else "did not change significantly")
                out.append(f"Since {c.previous_wave}, the index {word} ({fmt.signed(overall.difference)} points, "
                           f"adjusted p={fmt.pvalue(overall.p_adjusted)}).")
        others = [ch for ch in sig if ch.id != "overall_index"]
        if others:
            if zh:
                out.append("显著变化的还有：" + "、".join(f"{ch.label}（{fmt.signed(ch.difference)}）" for ch in others)
                           + "。")
            else:
                out.append("Other significant changes: " + ", ".join(f"{ch.label.lower()} ({fmt.signed(ch.difference)})"
                                                                    for ch in others) + ".")
        elif overall is not None:
            out.append("其他指标与上一轮相比均无显著变化。" if zh else "No other node changed significantly.")
    else:
        out.append("本轮为首次调查，尚无可比较的上一轮结果。" if zh else
                   "This is the first wave; there is no previous wave to compare with.")
    if c.ipa is not None:
        fix = [p for p in c.ipa.points if p.quadrant == "fix_first"]
        if fix:
            fix.sort(key=lambda p: -p.importance)
            if zh:
                out.append("重要性—表现分析显示，应优先改进：" + "、".join(
                    f"{p.label}（重要性{fmt.share(p.importance)}，得分{fmt.index(p.performance)}）" for p in fix) + "。")
            else:
                out.append("The importance-performance analysis puts these first for improvement: " + ", ".join(
                    f"{p.label.lower()} (importance {fmt.share(p.importance)}, score {fmt.index(p.performance)})"
                    for p in fix) + ".")
    for lt in c.league_tables:
        if len(lt.rows) >= 2:
            best, worst = lt.rows[0], lt.rows[-1]
            if zh:
                out.append(f"{lt.label}中，得分最高的是{best.label}（{fmt.index(best.score.value)}），"
                           f"最低的是{worst.label}（{fmt.index(worst.score.value)}）"
                           + (f"；另有{lt.suppressed}个单位样本量不足{lt.min_n}，未单独排名。" if lt.suppressed else "。"))
            else:
                out.append(f"In the league table of {lt.label.lower()}, {best.label} scores highest "
                           f"({fmt.index(best.score.value)}) "
                           f"and {worst.label} lowest ({fmt.index(worst.score.value)})"
                           + (f"; {lt.suppressed} units with fewer than {lt.min_n} respondents are not ranked."
                              if lt.suppressed else "."))
    return out


def monthly_sentences(c: MonthlyRatingReport) -> list[str]:
    zh = c.lang == "zh"
    out = []
    if zh:
        out.append(f"{c.month}共收到有效评价{fmt.count(c.valid)}条（其中主动评价{fmt.count(c.active)}条，"
                   f"默认评价{fmt.count(c.defaults)}条），好评率{fmt.share(c.good_rate.value)}，"
                   f"差评率{fmt.share(c.bad_rate.value)}，满意率（含基本满意）{fmt.share(c.satisfaction_rate.value)}，"
                   f"百分制得分{fmt.index(c.score)}。")
        out.append(f"本月差评{fmt.count(c.bad_total)}条，整改率{fmt.share(c.rectification_rate.value)}，"
                   f"按时整改率{fmt.share(c.on_time_rate.value)}；截至统计日超期未办结{fmt.count(c.overdue_total)}件。")
    else:
        out.append(f"In {c.month}, {fmt.count(c.valid)} valid ratings were received ({fmt.count(c.active)} active, "
                   f"{fmt.count(c.defaults)} default); good {fmt.share(c.good_rate.value)}, bad "
                   f"{fmt.share(c.bad_rate.value)}, satisfied incl. neutral {fmt.share(c.satisfaction_rate.value)}, "
                   f"score {fmt.index(c.score)}.")
        out.append(f"{fmt.count(c.bad_total)} bad ratings this month; rectified "
                   f"{fmt.share(c.rectification_rate.value)}, "
                   f"on time {fmt.share(c.on_time_rate.value)}; {fmt.count(c.overdue_total)} cases are overdue.")
    if len(c.trend) >= 2:
        a, b = c.trend[-2], c.trend[-1]
        d = b.good_rate - a.good_rate
        if _ok(d):
            out.append(f"好评率较上月{'上升' if d >= 0 else '下降'}{abs(100 * d):.1f}个百分点。" if zh else
                       f"The good rate {'rose' if d >= 0 else 'fell'} {abs(100 * d):.1f} points from last month.")
    named = [r for r in c.reasons if r.tag != "_none"]
    if named:
        r = named[0]
        out.append(f"差评原因中占比最高的是“{r.label}”（{fmt.share(r.share)}）。" if zh else
                   f"The most frequent reason for bad ratings is '{r.label}' ({fmt.share(r.share)}).")
    return out
