"""Phrase banks for the synthetic sample bundle (see make_samples.py and README.md).

Each planted theme has English and Chinese phrasings built from cores x details,
so the same need is said many ways. Supply-chain visibility has two framings:
"coord" (large manufacturers: teams waiting on each other) and "cost" (small
e-commerce shops: money wasted on stock and shipping).
"""

CORES = {
    "battery": {
        "en": [
            "Battery life is terrible", "the battery drains way too fast", "Phone dies before lunch",
            "battery barely lasts half a day", "I have to charge it three times a day",
            "Battery drain got much worse recently", "battery percentage drops like a rock",
            "the phone gets hot and the battery empties", "can't get through a shift on one charge",
            "standby battery usage is awful", "Battery health dropped to 80% in months",
        ],
        "zh": ["电池续航太差了", "电量掉得特别快", "一天要充三次电", "不到中午就没电了", "待机耗电严重",
               "电池不耐用", "手机发烫而且很耗电", "续航撑不过一个班次", "更新后耗电明显变快"],
    },
    "camera": {
        "en": [
            "Photos in low light are blurry and noisy", "night shots are unusable", "camera struggles indoors",
            "low-light pictures come out grainy", "the camera can't focus in dim warehouses",
            "pictures at night are dark and smeared", "scanning labels in poor light fails",
            "camera quality is bad when it's not bright out", "night mode takes forever and is still blurry",
        ],
        "zh": ["弱光下拍照很糊", "夜景拍出来全是噪点", "室内光线暗的时候拍不清楚", "晚上拍照发灰发暗",
               "仓库里光线暗对不上焦", "夜间模式很慢还是糊", "光线不好时扫码拍照失败"],
    },
    "dialect": {
        "en": [
            "voice notes don't understand our field staff's Cantonese", "speech-to-text fails on regional dialects",
            "voice input only works with standard Mandarin", "our workers speak Sichuanese and dictation is useless",
            "dialect recognition is missing from the voice features", "transcription breaks with strong accents",
            "need voice commands that handle Hokkien and Cantonese",
        ],
        "zh": ["语音识别听不懂粤语", "不支持方言识别", "师傅们说四川话，语音转文字全错", "只能识别普通话，方言完全不行",
               "希望语音输入支持方言", "口音重一点就识别不了", "闽南话语音笔记根本没法用"],
    },
    "permissions": {
        "en": [
            "Sheet permissions are too coarse", "I can't restrict who edits a single sheet",
            "sharing settings are all or nothing", "need per-sheet permissions for contractors",
            "anyone with the link can edit the whole workbook", "can't lock the pricing tab from sales reps",
            "permission management for spreadsheets is a mess", "we need read-only access for some columns",
            "managing who can see which spreadsheet takes forever",
        ],
        "zh": ["表格权限管理太粗了", "没法单独给某个工作表设置权限", "共享只能全部可编辑或全部只读",
               "外包人员能看到所有表格", "希望能按列设置只读", "表格权限设置很麻烦", "不能锁定价格那一页"],
    },
    "supply_coord": {
        "en": [
            "our purchasing, production and warehouse teams can't see each other's status",
            "teams keep waiting on each other because nobody sees the whole order flow",
            "plant managers chase procurement by email all day", "departments work in silos and hand-offs get lost",
            "no shared view of where a shipment is across departments", "coordination between our plants is painful",
            "production stops because purchasing didn't know the line was short",
            "every department has its own spreadsheet of the supply chain",
        ],
        "zh": ["采购、生产和仓库之间看不到彼此的进度", "部门之间协同太难，大家互相等", "各部门信息不通，交接经常出错",
               "工厂经理每天发邮件催采购", "看不到订单在各部门流转到哪一步", "跨部门协作全靠开会和打电话"],
    },
    "supply_cost": {
        "en": [
            "I over-order stock because I can't see what's arriving, and it wastes money",
            "shipping costs are eating my margin", "I want to cut inventory costs",
            "dead stock is killing my cash flow", "I pay rush shipping because I don't know when supplies land",
            "need cheaper ways to track inventory", "I keep losing money on stock that sits in the warehouse",
        ],
        "zh": ["看不到到货情况只能多备货，浪费钱", "运费太贵了，利润都被吃掉", "想降低库存成本", "库存积压，资金周转不过来",
               "不知道什么时候到货只能加急发货，成本太高", "希望能省点钱"],
    },
    "support": {
        "en": [
            "support takes days to answer", "customer service is painfully slow", "my ticket has been open for two weeks",
            "nobody from support replied", "the chat bot never hands me to a human", "support response time is unacceptable",
            "waited 5 days for a reply to an urgent issue",
        ],
        "zh": ["客服回复太慢了", "工单提交一周都没人理", "客服总是让我等", "找不到人工客服", "售后响应太慢", "紧急问题三天才回复"],
    },
    "onboarding": {
        "en": [
            "onboarding was confusing", "I didn't know where to start after signing up", "the setup wizard is confusing",
            "took us weeks to figure out the basics", "there's no clear getting-started guide",
            "new users get lost in the menus", "the first-week experience is overwhelming",
            "tutorials don't match the current screens",
        ],
        "zh": ["新手引导看不懂", "注册后不知道从哪里开始", "上手太难了", "初始设置很混乱", "教程和实际界面对不上", "新员工学起来很费劲"],
    },
    "pricing": {
        "en": [
            "it's too expensive for a small business", "the price went up again", "pricing is too high for what we get",
            "per-seat pricing doesn't work for us", "we can't justify the cost", "the Pro plan is overpriced",
            "need a cheaper plan for small teams",
        ],
        "zh": ["价格太贵了", "小公司用不起", "又涨价了", "按人头收费太贵", "性价比不高", "希望有便宜一点的套餐"],
    },
}

DETAILS = {
    "battery": {"en": ["since the 3.2 update", "especially with GPS on", "even with the screen off", "it used to last all day"],
                "zh": ["升级3.2以后更严重", "开着定位更快", "关屏也掉电", "以前能用一整天"]},
    "camera": {"en": ["in the warehouse", "when I photograph delivery receipts", "compared to my old phone"],
               "zh": ["在仓库里尤其明显", "拍签收单的时候", "比我以前的手机差多了"]},
    "dialect": {"en": ["so the field team stopped using it", "which is a dealbreaker for our factories in Guangdong",
                       "half our drivers can't use voice notes"],
                "zh": ["一线员工都不用了", "广东工厂根本用不了", "司机们只能手打"]},
    "permissions": {"en": ["for our finance team", "this is a security risk", "auditors flagged it"],
                    "zh": ["财务很担心", "这是安全隐患", "审计提过这个问题"]},
    "supply_coord": {"en": ["and orders slip by days", "across three plants", "it slows everyone down"],
                     "zh": ["订单经常延误", "三个工厂都这样", "效率很低"]},
    "supply_cost": {"en": ["for my little online shop", "margins are thin already", "every dollar counts for us"],
                    "zh": ["我们就是个小网店", "本来利润就薄", "每一分钱都要省"]},
    "support": {"en": ["while our work was blocked", "and the answer didn't help", "we are paying customers"],
                "zh": ["业务都停了", "回复了也没解决", "我们可是付费用户"]},
    "onboarding": {"en": ["for our new hires", "we almost gave up", "a video would help"],
                   "zh": ["新员工尤其痛苦", "差点就放弃了", "希望有视频教程"]},
    "pricing": {"en": ["compared to competitors", "for a team of five", "we might switch"],
                "zh": ["比竞品贵", "我们就五个人", "考虑换别家了"]},
}

NOISE = {
    "en": ["Great app overall, keep it up!", "Love the new dark mode", "Works fine for me", "It's okay I guess",
           "The weather in Berlin was nice when I filled this in", "Thanks for asking!", "good", "Nice design",
           "My cat walked on the keyboard", "Overall satisfied with the product", "Keep up the good work team",
           "Smooth and fast, no complaints"],
    "zh": ["整体挺好的", "界面很漂亮", "用着还行", "谢谢你们的调查", "继续加油", "没什么大问题", "挺满意的", "很好用"],
}

OPENERS = {"en": ["", "", "Honestly, ", "Biggest issue: ", "Well, ", "To be honest ", "Main thing - "],
           "zh": ["", "", "说实话，", "最大的问题是", "主要是"]}

REQUESTS = {"en": ["Please fix this: ", "I'd like you to fix that ", "Would love a fix - ", ""],
            "zh": ["希望改进：", "建议解决", "麻烦优化一下，", ""]}
