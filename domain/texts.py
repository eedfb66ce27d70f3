"""What each domain error says, by its code, in English and Chinese (zh-CN).

The params of an error fill the `{...}` of its texts; a text may use any of them or none.
"""

from string import Formatter

# code: (English, Chinese)
TEXTS: dict[str, tuple[str, str]] = {
    # uncoded errors carry their message
    "refused": ("{message}", "{message}"),
    "invalid_input": ("{message}", "{message}"),
    "not_allowed_now": ("{message}", "{message}"),
    "forbidden": ("{message}", "{message}"),
    "calendar_unknown": ("{message}", "{message}"),
    # the shape of an action's input
    "body_not_object": ("the body must be a JSON object", "请求内容格式不正确"),
    "required": ("{name} is required", "必填"),
    "one_of": ("{name} must be one of: {choices}", "请从列表中选择"),
    "true_or_false": ("{name} must be true or false", "请选择"),
    "whole_number": ("{name} must be a whole number", "请填写整数"),
    "amount_format": ("{name} must be an amount in yuan such as 36000.00", "请填写金额（元），如 36000.00"),
    "amount_fen": ("{name} has more than 2 decimal places (fen)", "金额最多保留两位小数"),
    "text_expected": ("{name} must be text", "请填写文字"),
    "datetime_format": (
        "{name} must be an ISO 8601 date-time such as 2026-03-02T17:00:00+08:00",
        "请填写正确的日期和时间",
    ),
    "greater_than": ("{name} must be greater than {limit}", "必须大于 {limit}"),
    "at_least": ("{name} must be at least {limit}", "不能小于 {limit}"),
    "less_than": ("{name} must be less than {limit}", "必须小于 {limit}"),
    "at_most": ("{name} must be at most {limit}", "不能大于 {limit}"),
    "too_long": ("{name} is longer than {limit} characters", "不能超过 {limit} 个字"),
    "liaison_unit": (
        "a liaison belongs to one of the units {units}, not to '{unit}'",
        "联络员只能属于公安、法院、检察院或人民银行",
    ),
    "unknown_action": ("unknown action '{action}'; known: {known}", "没有“{action}”这项操作"),
    # identity numbers (GB 11643, GB 32100) and phones
    "id_first17_digits": ("a resident ID number's first 17 characters must be digits", "身份证号码前17位必须是数字"),
    "id_15_digits": (
        "15-digit resident ID numbers (issued before 1999) are no longer valid; give the 18-digit "
        "number on the current card (身份证号码应为18位)",
        "15位旧身份证号码已停用，请填写18位号码",
    ),
    "id_length": (
        "a resident ID number (身份证号码) is 17 digits and a final digit or X; got {length} characters",
        "身份证号码应为18位（17位数字加一位数字或X），现为 {length} 位",
    ),
    "id_starts_with_0": (
        "a resident ID number cannot start with 0: the first six digits are an address code",
        "身份证号码不能以0开头",
    ),
    "id_birth_not_a_date": (
        "characters 7–14 of a resident ID number are the birth date (YYYYMMDD); {digits} is not a date",
        "身份证号码中的出生日期 {digits} 不是有效日期",
    ),
    "id_birth_in_future": (
        "the birth date in this resident ID number ({born}) is in the future",
        "身份证号码中的出生日期晚于今天",
    ),
    "id_birth_too_early": (
        "the birth date in this resident ID number ({born}) is before {year}",
        "身份证号码中的出生日期过早，请核对",
    ),
    "id_check_char": (
        "this resident ID number fails its check character (GB 11643 校验码): a digit is probably mistyped",
        "身份证号码校验位不正确，可能有数字输入错误",
    ),
    "credit_code_chars": (
        "a unified social credit code uses only the characters {chars}",
        "统一社会信用代码为18位数字或大写字母（不含I、O、S、V、Z）",
    ),
    "credit_code_length": (
        "a unified social credit code (统一社会信用代码) is 18 characters; got {length}",
        "统一社会信用代码应为18位，现为 {length} 位",
    ),
    "credit_code_letters": (
        "a unified social credit code uses digits and capital letters except I, O, S, V, Z; found {found}",
        "统一社会信用代码为18位数字或大写字母（不含I、O、S、V、Z）",
    ),
    "credit_code_check_char": (
        "this unified social credit code fails its check character (GB 32100 校验码): a character is probably mistyped",
        "统一社会信用代码校验位不正确，可能有字符输入错误",
    ),
    "phone_format": (
        "a phone number must be a mobile number (11 digits starting 13–19, e.g. 13800138000) or a "
        "landline with its area code (e.g. 0350-5221234) (电话号码格式不正确)",
        "电话号码格式不正确：手机号为11位，固定电话须带区号（如 0350-5221234）",
    ),
    # the wage-guarantee deposit (保障农民工工资支付条例 art. 32)
    "years_negative": ("years_without_arrears cannot be negative", "无拖欠年数不能为负数"),
    "contract_amount_range": ("contract_amount must be from 0 to under {limit} yuan", "合同金额须在0至{limit}元之间"),
    "arrears_contradiction": (
        "arrears in the last two years contradict two or more years without arrears",
        "近两年有拖欠与连续两年以上无拖欠相互矛盾",
    ),
    # the working-day calendar
    "calendar_year_unknown": (
        "The working-day calendar does not know the year {year}: add that year's holidays and "
        "make-up working days to the `calendar:` section of the jurisdiction file.",
        "工作日历尚无{year}年的节假日安排，请在辖区配置文件的 calendar 部分补充该年的节假日和调休工作日",
    ),
    # registration
    "received_before_records": (
        "received_at {given} is before {earliest}: no complaint handled here is that old; check the date",
        "收到投诉的时间{given}早于{earliest}，请核对日期",
    ),
    "late_entry_reason_required": (
        "received_at {given} is more than {limitation} back (earliest without a reason: {earliest}; "
        "劳动保障监察条例 art. 20): check the date, or give late_entry_reason saying why it is entered only now",
        "收到投诉的时间{given}距今已超过{limitation}（{earliest}以前），请核对日期；确属补录的，请填写补录原因",
    ),
    "arrears_end_in_future": (
        "arrears_ended_at {given} is in the future; leave it out while the wages are still owed",
        "欠薪终了日期不能晚于今天；仍在拖欠的，请不要填写",
    ),
    # intake under the statutory procedure (domain/actions/petition.py)
    "limitation_pending": (
        "the complaint is out of the limitation (劳动保障监察条例 art. 20): labour inspection decides first "
        "(limitation_decision)",
        "该投诉超过查处时效，须先由劳动保障监察机构作出是否受理的决定",
    ),
    "limitation_not_pending": (
        "the complaint is not awaiting a limitation decision",
        "该案件无需作出超过查处时效的处理决定",
    ),
    "objection_window_closed": (
        "there is no referred petition whose objection period (5 working days, 信访工作条例 art. 23) is running",
        "对转送交办提出异议的期限（5个工作日）已过或不适用",
    ),
    "objection_to_self": (
        "{unit} referred the case itself: transfer it to the competent unit instead",
        "该件由本单位转出，请转送有权处理的单位",
    ),
    "received_in_future": (
        "received_at is in the future; give the time the complaint was received",
        "收到投诉的时间不能晚于当前时间",
    ),
    "no_such_project": ("there is no project {project_id}", "所选项目不存在"),
    "not_a_township": ("{code_given!r} is not a township of {county} (townships: {known})", "请选择本县的乡镇"),
    "unknown_project_type": ("unknown project type {value!r}; expected one of {known}", "请选择项目类型"),
    "unknown_land_type": ("unknown land type {value!r}; expected one of {known}", "请选择土地性质"),
    "key_required": (
        "'{action}' moves money: send an Idempotency-Key header (a new random value per payment, the "
        "same value when retrying it) so that a retry is never counted twice",
        "该操作涉及资金，请求须带 Idempotency-Key（每笔新支付用新值，重试时用同一值），以免重复入账",
    ),
    "duplicate_worker_id": (
        "workers {first} and {second} have the same ID number; list each worker once with everything owed to them",
        "第{first}行和第{second}行农民工身份证号相同，同一人只登记一次",
    ),
    "one_project": ("give either project_id or project, not both", "请选择已登记的项目或填写新项目，不能同时两者"),
    "idempotency_key_reused": (
        "Idempotency-Key was already used for case {case_no} with a different complaint; "
        "use a new key for a new complaint",
        "此表单已经提交过。如需登记另一起投诉，请重新打开“受理登记”页面。",
    ),
    # who may act
    "system_step": (
        "'{action}' is a step the case takes by itself when its clock runs out",
        "此事项由系统在期限届满时自动办理",
    ),
    "role_may_not": ("role '{role}' may not {action}; needs one of: {roles}", "您的角色无权办理此事项"),
    "liaison_only": ("only the liaison of unit '{unit}' may {action}", "只有{unit}的联络员可以办理此事项"),
    "not_referred_to": ("the case has not been referred to '{unit}'", "案件尚未移送{unit}"),
    "unit_not_lead": (
        "unit '{unit}' does not lead this case (lead unit: {lead_unit})",
        "您所在单位不是本案的承办单位，不能办理此事项",
    ),
    "handling_decision_not_awaited": (
        "a handling decision is issued from investigating (substantiated findings first), or after an order to "
        "correct ran out unpaid",
        "行政处理决定应在调查认定欠薪属实后作出，或在限期改正指令书逾期未履行后作出",
    ),
    "compensation_required": (
        "the order to correct ran out unpaid: give compensation_percent, 50-100 (劳动保障监察条例 art. 26)",
        "限期改正指令书逾期未支付，应责令加付赔偿金：请填写加付赔偿金比例（50至100）",
    ),
    "not_a_served_document": (
        "document {seq} is not one served on a party (an order, a decision, a reminder, a blacklist notice or "
        "decision)",
        "第{seq}号文书不是需要向当事人送达的文书",
    ),
    "already_served": ("the service of document {seq} is already recorded", "第{seq}号文书的送达已经登记"),
    "served_in_future": ("served_at lies in the future", "送达时间不能晚于现在"),
    "served_before_issue": ("served_at is before the document was issued", "送达时间早于文书出具时间"),
    "witness_required": (
        "service left at the address (留置送达) needs a witness",
        "留置送达应当填写见证人",
    ),
    "nothing_to_serve": ("no document of this case awaits service", "本案没有待送达的文书"),
    "decision_not_served": (
        "the handling decision has not been served: record its service first (serve); the review and suit "
        "windows run from it",
        "行政处理决定书尚未登记送达，复议、诉讼期限无从起算，暂不能申请法院强制执行",
    ),
    "decision_windows_open": (
        "the party may still apply for review or sue until {until}: the court enforces only after both windows "
        "passed unchallenged (行政强制法 art. 53)",
        "当事人申请行政复议或提起行政诉讼的期限（至{until}）尚未届满，暂不能申请法院强制执行（行政强制法第五十三条）",
    ),
    # the court route and challenges (procedure 3, domain/actions/challenge.py)
    "no_handling_decision": (
        "there is no handling decision to enforce: labour inspection decides first (decide_payment) and serves it",
        "尚无行政处理决定，不能申请法院强制执行：请劳动保障监察机构先作出行政处理决定并送达",
    ),
    "decision_challenged": (
        "the party's {challenge} filed on {filed} is pending: the court route waits for its outcome "
        "(record it with challenge_decided)",
        "当事人已于{filed}{challenge}，结果未出，暂不能申请法院强制执行；请在收到结果后登记",
    ),
    "decision_revoked": (
        "the handling decision was revoked: it is not enforced; labour inspection may decide again",
        "行政处理决定已被撤销，不再申请强制执行；劳动保障监察机构可重新作出处理决定",
    ),
    "reminder_issued": ("the 催告书 was already issued on {on}", "催告书已于{on}出具"),
    "court_reminder_first": (
        "serve the 催告书 first (serve_court_reminder): the court may be asked 10 days after its service "
        "(行政强制法 art. 54)",
        "申请法院强制执行前应先催告当事人履行：请先出具并送达催告书（行政强制法第五十四条）",
    ),
    "court_reminder_not_served": (
        "record the service of the 催告书 (serve): its 10 days run from service (行政强制法 art. 54)",
        "催告书尚未登记送达：催告期自送达之日起计算（行政强制法第五十四条）",
    ),
    "court_reminder_running": (
        "the party has until {until} to comply with the 催告书 (行政强制法 art. 54)",
        "催告书送达后10日内（至{until}）当事人仍可履行，期满仍未履行的方可申请法院强制执行（行政强制法第五十四条）",
    ),
    "review_not_awaited": (
        "an application for review can be recorded only while the 60-day window from the decision's service "
        "runs and no other challenge is pending (行政复议法 art. 20)",
        "只能在处理决定送达之日起60日内、且无其他复议诉讼未决时登记申请行政复议（行政复议法第二十条）",
    ),
    "suit_not_awaited": (
        "a suit can be recorded only within 6 months of the decision's service, or 15 days of receiving a review "
        "decision, with no other challenge pending (行政诉讼法 arts. 45-46)",
        "只能在处理决定送达之日起6个月内（经复议的，收到复议决定书之日起15日内）、且无其他复议诉讼未决时登记提起行政诉讼",
    ),
    "filed_in_future": ("filed_at lies in the future", "申请日期不能晚于今天"),
    "filed_outside_window": (
        "filed_at must lie within the window, {start} to {until}",
        "申请日期应在期限内（{start}至{until}）",
    ),
    "challenge_not_pending": ("no review or suit is pending", "没有未决的行政复议或行政诉讼"),
    "changed_needs_amount": ("a changed decision needs its new amount", "结果为变更的，请填写变更后的金额"),
    "decided_out_of_order": (
        "decided_at must lie between the filing ({filed}) and now",
        "结果日期应晚于申请日期（{filed}）且不晚于今天",
    ),
    # the police referral (法释〔2013〕3号 art. 4, procedure 3)
    "absconded_not_awaited": (
        "absconding is reported to the police once the order to correct, served or posted, ran out unpaid",
        "欠薪逃匿的，应在限期改正指令书送达（或张贴）且期满仍未支付后报告并移送公安",
    ),
    "order_not_served": (
        "no order to correct or handling decision was served on the party (or, where it absconded, posted with a "
        "photo or video record): record its service first (serve); 法释〔2013〕3号 art. 4",
        "限期改正指令书或行政处理决定书尚未送达当事人（逃匿的，应张贴并拍照、录像），不能移送公安；请先登记送达"
        "（法释〔2013〕3号第四条）",
    ),
    "posting_needs_evidence": (
        "the order was served by public notice without a photo or video record: a posting counts only with one "
        "(法释〔2013〕3号 art. 4)",
        "责令支付文书系公告送达但未登记张贴照片或录像编号，不能视为已责令支付（法释〔2013〕3号第四条）",
    ),
    "order_not_lapsed": (
        "the date to pay ({due}) has not passed yet",
        "责令支付的期限（{due}）尚未届满，不能移送公安",
    ),
    "below_threshold_at_approval": (
        "what is still owed ({owed}) is below the crime threshold now: {reason}; refuse the referral "
        "(reject_police_referral) and the case goes to the court route",
        "目前仍欠 {owed} 元，已不足拒不支付劳动报酬罪追诉标准（{reason}），不能批准移送；请作出不批准移送决定，"
        "案件转入申请人民法院强制执行程序",
    ),
    "authority_only": (
        "'{action}' issues a document with legal effect on a party: only unit '{authority}' may take it "
        "(your unit: {unit}); see authorities in the jurisdiction file",
        "此事项出具具有法律效力的执法文书，应由执法机关（劳动保障监察）办理，您所在单位不能办理",
    ),
    "case_not_visible": (
        "case {case_no} is not handled by your unit ({unit})",
        "此案件不由您所在单位承办或协办，您无权查看",
    ),
    # when
    "not_allowed_in_stage": (
        "'{action}' is not possible while the case is {stage} ({stage_label})",
        "案件当前处于“{stage_label}”阶段，不能办理此事项",
    ),
    "not_awaited": ("'{action}' is not awaited now", "案件当前不需要办理此事项"),
    "bad_transition": ("a case cannot move from {stage} to {to}", "案件不能从当前阶段转入该阶段"),
    "outcome_reserved": (
        "outcome {outcome!r} is set only when a complaint is joined to its matter",
        "“并入同一欠薪事项办理”由系统在并案时记录，不能手工选择",
    ),
    "not_a_matter": (
        "case {case_no} is closed or itself joined to another case; it cannot take a new complaint",
        "案件 {case_no} 已结案或已并入其他案件，不能并案办理",
    ),
    "case_archived": (
        "case {case_no} is closed and archived; no further actions are possible",
        "案件已结案归档，不能再办理",
    ),
    # intake and routing
    "already_led": ("the case is already led by {unit}", "案件已由该单位承办"),
    "not_paid_in_full": (
        "{owed} is still owed; the case is not paid in full",
        "尚欠 {owed} 元未付清，不能以“已足额支付”结案",
    ),
    "findings_not_unsubstantiated": (
        "record findings that the complaint is not substantiated first",
        "请先作出投诉不属实的调查认定",
    ),
    "unknown_unit": ("to_unit {unit!r} is not a unit of {county}", "请选择本县的单位"),
    # investigation
    "findings_incomplete": (
        "substantiated findings need liable_party and amount_owed",
        "认定属实的，须选择责任主体并填写认定拖欠金额",
    ),
    "findings_after_order": (
        "findings cannot change after an order to pay was served",
        "已下达限期支付指令，调查认定不能再修改",
    ),
    "owed_below_recovered": (
        "amount_owed {amount} is less than the {recovered} already recovered",
        "认定金额 {amount} 元少于已追回的 {recovered} 元",
    ),
    "no_extension_left": (
        "there is no running investigation clock that may still be extended",
        "没有可以延长的调查期限（未在调查中，或已延长至上限）",
    ),
    "extension_too_long": (
        "an investigation may be extended by at most {allowed} working days (劳动保障监察条例 art. 17)",
        "调查期限最多可延长 {allowed} 个工作日（劳动保障监察条例第十七条）",
    ),
    "extension_exhausted": (
        "the investigation may be extended by at most {allowed} working days in all "
        "({left} left; 劳动保障监察条例 art. 17)",
        "调查期限延长累计不得超过 {allowed} 个工作日，尚可延长 {left} 个工作日（劳动保障监察条例第十七条）",
    ),
    "below_crime_threshold": (
        "the amount does not reach the crime threshold ({reason}); serve an order to pay "
        "instead (it may be posted at the premises, 法释〔2013〕3号 art. 4)",
        "欠薪未达到拒不支付劳动报酬罪的追诉标准（{reason}），请依法送达限期支付指令（可在用工场所张贴，法释〔2013〕3号第四条）",
    ),
    # order and payment
    "findings_first": (
        "record substantiated findings before ordering payment",
        "请先作出投诉属实的调查认定，再责令支付",
    ),
    "amount_exceeds_owed": ("amount {amount} exceeds the {owed} still owed", "金额 {amount} 元超过尚欠的 {owed} 元"),
    "payment_exceeds_owed": (
        "amount {amount} exceeds the {owed} still owed; record only money actually paid",
        "金额 {amount} 元超过尚欠的 {owed} 元",
    ),
    "due_in_past": ("due_at must be in the future", "期限必须晚于当前时间"),
    "payment_not_awaited": (
        "no payment is awaited: nothing is owed, or substantiated findings have not named the amount owed yet",
        "当前无需登记支付：没有尚欠金额，或尚未作出认定拖欠金额的调查认定",
    ),
    "reference_recorded": (
        "a payment with reference '{reference}' is already recorded",
        "凭证号 {reference} 已登记过，不能重复登记",
    ),
    "nothing_owed": ("nothing is owed: the ladder stops", "已无欠款，停止强制清欠程序"),
    "drawdown_too_large": (
        "a drawdown of {drawn} does not fit the {owed} owed",
        "动用保证金 {drawn} 元超过尚欠的 {owed} 元",
    ),
    # deposit
    "deposit_payout_not_awaited": (
        "a payout from the deposit is not awaited now (no open 'deposit_payout' clock)",
        "当前没有待银行支付的保证金",
    ),
    "replenish_not_awaited": (
        "a replenishment of the deposit is not awaited now (no open 'deposit_replenish' clock)",
        "当前没有待补足的保证金",
    ),
    # police
    "approval_not_awaited": (
        "a decision on the police referral is not awaited now (no open 'police_approval' clock)",
        "当前没有待审批的移送公安事项",
    ),
    "transfer_not_awaited": (
        "the transfer to the police is not awaited now (no open 'police_transfer' clock)",
        "当前没有待移送公安的事项",
    ),
    "decision_not_awaited": (
        "no police decision is awaited now: the police have filed the case, it has not been "
        "transferred, or a refusal awaits reconsideration",
        "当前没有待公安机关作出的立案决定（已立案、尚未移送，或不予立案待复议）",
    ),
    "refusal_needs_reason": ("a refusal to file needs its reason", "不予立案的，须填写理由"),
    "reconsideration_not_awaited": (
        "a request for reconsideration is not awaited now (no open 'police_reconsider' clock)",
        "当前不能提请复议（复议期限未在计算或已届满）",
    ),
    "supervision_not_awaited": (
        "supervision by the procuratorate can be asked after the police refused to file",
        "公安机关作出不予立案决定后，才能提请检察院立案监督",
    ),
    # court
    "reminder_after_police_refusal": (
        "court enforcement follows here only after the police refused to file the case",
        "公安机关不予立案后，才能转入申请法院强制执行",
    ),
    "court_application_not_awaited": (
        "the court may be asked once the reminder period (催告) ran out, and only once (行政强制法 art. 54)",
        "催告期满后才能申请法院强制执行，且只能申请一次（行政强制法第五十四条）",
    ),
    "court_accept_not_awaited": (
        "the court's acceptance is not awaited now (no open 'court_accept' clock)",
        "当前没有待法院受理的申请",
    ),
    "court_ruling_not_awaited": (
        "the court's ruling is not awaited now (no open 'court_rule' clock)",
        "当前没有待法院作出的裁定",
    ),
    "court_outcome_not_awaited": (
        "the court has no application for this case yet, or nothing is owed",
        "本案尚未申请法院强制执行，或已无欠款",
    ),
    "enforced_exceeds_owed": (
        "amount_enforced {amount} exceeds the {owed} still owed",
        "执行到位金额 {amount} 元超过尚欠的 {owed} 元",
    ),
    # major cases, emergency fund
    "no_dispatch_due": ("no dispatch is due", "当前没有到期的调度"),
    "advance_not_awaited": (
        "the emergency fund advances while wages are owed, once substantiated findings name the amount",
        "尚未认定拖欠金额或已无欠款，不能垫付",
    ),
    "nothing_to_recover": ("the emergency fund has nothing to get back on this case", "本案没有待收回的应急周转金"),
    "recovery_exceeds_fund": (
        "amount {amount} exceeds the {owed} the fund has to get back",
        "金额 {amount} 元超过待收回的 {owed} 元",
    ),
    # blacklist (人社部令45号)
    "blacklist_not_proposable": (
        "the employer cannot be proposed for the list now: it is already proposed or "
        "listed, or no order to pay ran out unpaid with the grounds of 人社部令45号 art. 5",
        "当前不能拟列入失信名单：已拟列入或已列入，或不符合人社部令45号第五条规定的列入情形",
    ),
    "no_blacklist_proposal": ("there is no listing proposal", "尚未拟列入失信名单"),
    "blacklist_decision_not_awaited": (
        "there is no listing proposal to decide, or the employer may still state its case (人社部令45号 art. 6)",
        "没有待决定的列入事项，或当事人陈述申辩期限尚未届满（人社部令45号第六条）",
    ),
    "decline_needs_reason": ("a decision not to list needs its reason", "决定不予列入的，须填写理由"),
    "person_role": (
        "the role must be legal_representative, principal or responsible",
        "职务须为法定代表人、主要负责人或直接责任人员",
    ),
    "person_twice": ("the same ID number is given twice", "同一身份证号重复填写"),
    "persons_need_head": (
        "the proposal names the employer's legal representative or principal (人社部令45号 art. 9)",
        "须列明用人单位的法定代表人或主要负责人（人社部令45号第九条）",
    ),
    "blacklist_extension_not_awaited": (
        "there is no running listing-decision clock that may still be extended (once, 人社部令45号 art. 8)",
        "没有可以延长的列入决定期限（列入决定期限只能延长一次，人社部令45号第八条）",
    ),
    "removal_not_corrected": (
        "early removal needs the arrears paid in full first (人社部令45号 art. 13)",
        "提前移出须已足额支付拖欠的工资（人社部令45号第十三条）",
    ),
    "removal_too_early_after_correction": (
        "early removal may be applied for {months} months after the correction ({corrected}), from {from_day} "
        "(人社部令45号 art. 13)",
        "自改正之日（{corrected}）起满{months}个月后方可申请提前移出，即{from_day}起（人社部令45号第十三条）",
    ),
    "removal_not_applied": (
        "the employer has not applied for early removal yet",
        "用人单位尚未申请提前移出",
    ),
    "removal_applied": ("early removal was already applied for", "已登记提前移出申请"),
    # early removal from the list (人社部令45号 arts. 12-14)
    "removal_deciders": (
        "early removal is decided by the unit head of {unit} or the office of the leading group",
        "提前移出名单由{unit}单位负责人或领导小组办公室决定",
    ),
    "entry_not_listed": ("the entry is {status}, not listed", "该单位当前不在名单中"),
    "removal_needs_correction": (
        "early removal needs the arrears corrected and a written promise (人社部令45号 art. 12)",
        "提前移出须已改正拖欠行为并作出书面信用承诺（人社部令45号第十二条）",
    ),
    "removal_too_early": (
        "early removal is possible {months} months after listing (listed {listed}, 人社部令45号 art. 12)",
        "列入满{months}个月后方可申请提前移出（列入日期 {listed}，人社部令45号第十二条）",
    ),
    "removal_case_unpaid": ("case {case_no} still has {owed} unpaid", "案件 {case_no} 尚有 {owed} 元未支付"),
    # the workers' own routes
    "route_event": ("event of {route} must be one of: {events}", "请选择该途径的环节"),
    "route_clock_not_running": (
        "this step needs the {clock} clock to be running; record the step before it first",
        "“{clock}”期限未在计算，请先登记前一环节",
    ),
    "route_clock_running": ("the {clock} clock is already running", "“{clock}”期限已在计算"),
}


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def text(code: str, params: dict, language: str) -> str:
    """The text of an error code in 'en' or 'zh' (English for any other language), filled with params."""
    pair = TEXTS.get(code)
    if pair is None:
        return str(params.get("message", code))
    template = pair[1] if language.startswith("zh") else pair[0]
    return Formatter().vformat(template, (), _Lenient(params))
