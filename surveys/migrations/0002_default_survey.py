"""Seed the default survey, published, in English and the ten citywide languages.

Its first question mirrors NYC's resolution satisfaction survey (agreement on a
five-point scale, scored 0-100 in steps of 25) so results stay comparable; the
others ask whether the problem was fixed, whether the explanation was clear and
whether the resident wants the request reopened, with an optional comment.
"""

from django.db import migrations
from django.utils import timezone

TITLE = {
    "en": "How did we do?",
    "es": "¿Cómo lo hicimos?",
    "zh-hans": "我们做得怎么样？",
    "ru": "Как мы справились?",
    "bn": "আমরা কেমন করেছি?",
    "ht": "Kijan nou te fè?",
    "ko": "저희 서비스는 어떠셨나요?",
    "ar": "كيف كان أداؤنا؟",
    "ur": "ہماری کارکردگی کیسی رہی؟",
    "fr": "Comment avons-nous fait ?",
    "pl": "Jak nam poszło?",
}

INTRODUCTION = {
    "en": "Your 311 request was closed. Tell us what happened. It takes about a minute.",
    "es": "Su solicitud al 311 se cerró. Cuéntenos qué pasó. Toma alrededor de un minuto.",
    "zh-hans": "您的 311 请求已关闭。请告诉我们情况如何。大约需要一分钟。",
    "ru": "Ваша заявка в 311 закрыта. Расскажите, что произошло. Это займёт около минуты.",
    "bn": "আপনার 311 অনুরোধটি বন্ধ করা হয়েছে। কী হয়েছে আমাদের জানান। এতে প্রায় এক মিনিট লাগে।",
    "ht": "Demann 311 ou a fèmen. Di nou sa k te pase. Sa pran apeprè yon minit.",
    "ko": "311 요청이 종료되었습니다. 어떻게 되었는지 알려 주세요. 1분 정도 걸립니다.",
    "ar": "تم إغلاق طلبك لدى 311. أخبرنا بما حدث. يستغرق ذلك دقيقة تقريبًا.",
    "ur": "آپ کی 311 درخواست بند کر دی گئی ہے۔ ہمیں بتائیں کیا ہوا۔ اس میں تقریباً ایک منٹ لگتا ہے۔",
    "fr": "Votre demande au 311 a été clôturée. Dites-nous ce qui s'est passé. Cela prend environ une minute.",
    "pl": "Twoje zgłoszenie do 311 zostało zamknięte. Powiedz nam, co się stało. To zajmie około minuty.",
}

# (key, kind, required, max_length, show_when, prompts, help texts)
QUESTIONS = [
    (
        "satisfaction",
        "agreement",
        True,
        None,
        None,
        {
            "en": "I am satisfied with how my request was handled.",
            "es": "Estoy satisfecho/a con la forma en que se manejó mi solicitud.",
            "zh-hans": "我对我的请求的处理方式感到满意。",
            "ru": "Я доволен(-льна) тем, как была рассмотрена моя заявка.",
            "bn": "আমার অনুরোধটি যেভাবে পরিচালনা করা হয়েছে তাতে আমি সন্তুষ্ট।",
            "ht": "Mwen satisfè jan yo te trete demann mwen an.",
            "ko": "제 요청이 처리된 방식에 만족합니다.",
            "ar": "أنا راضٍ عن طريقة التعامل مع طلبي.",
            "ur": "میں اپنی درخواست پر کی گئی کارروائی سے مطمئن ہوں۔",
            "fr": "Je suis satisfait(e) de la façon dont ma demande a été traitée.",
            "pl": "Jestem zadowolony/a ze sposobu rozpatrzenia mojego zgłoszenia.",
        },
        {},
    ),
    (
        "dissatisfied_reasons",
        "multiple",
        False,
        None,
        ("satisfaction", ["disagree", "strongly_disagree"]),
        {
            "en": "Why are you not satisfied? Choose all that apply.",
            "es": "¿Por qué no está satisfecho/a? Elija todas las que correspondan.",
            "zh-hans": "您为什么不满意？请选择所有适用的选项。",
            "ru": "Почему вы недовольны? Выберите все подходящие варианты.",
            "bn": "আপনি কেন সন্তুষ্ট নন? প্রযোজ্য সবগুলো বেছে নিন।",
            "ht": "Poukisa ou pa satisfè? Chwazi tout sa ki aplike.",
            "ko": "만족하지 않으신 이유는 무엇인가요? 해당하는 것을 모두 선택하세요.",
            "ar": "لماذا لست راضيًا؟ اختر كل ما ينطبق.",
            "ur": "آپ مطمئن کیوں نہیں ہیں؟ جو بھی لاگو ہوں سب منتخب کریں۔",
            "fr": "Pourquoi n'êtes-vous pas satisfait(e) ? Choisissez tout ce qui s'applique.",
            "pl": "Dlaczego nie jesteś zadowolony/a? Wybierz wszystkie pasujące odpowiedzi.",
        },
        {},
    ),
    (
        "fixed",
        "yes_no",
        True,
        None,
        None,
        {
            "en": "Was the problem fixed?",
            "es": "¿Se resolvió el problema?",
            "zh-hans": "问题解决了吗？",
            "ru": "Проблема устранена?",
            "bn": "সমস্যাটির কি সমাধান হয়েছে?",
            "ht": "Èske yo te rezoud pwoblèm nan?",
            "ko": "문제가 해결되었나요?",
            "ar": "هل تم حل المشكلة؟",
            "ur": "کیا مسئلہ حل ہو گیا؟",
            "fr": "Le problème a-t-il été résolu ?",
            "pl": "Czy problem został rozwiązany?",
        },
        {},
    ),
    (
        "explanation_clear",
        "agreement",
        False,
        None,
        None,
        {
            "en": "The explanation of what the agency did was clear.",
            "es": "La explicación de lo que hizo la agencia fue clara.",
            "zh-hans": "关于机构所采取措施的说明很清楚。",
            "ru": "Объяснение того, что сделало ведомство, было понятным.",
            "bn": "সংস্থাটি কী করেছে তার ব্যাখ্যা স্পষ্ট ছিল।",
            "ht": "Eksplikasyon sou sa ajans lan te fè a te klè.",
            "ko": "기관이 한 조치에 대한 설명이 명확했습니다.",
            "ar": "كان شرح ما قامت به الجهة واضحًا.",
            "ur": "ادارے نے جو کیا اس کی وضاحت واضح تھی۔",
            "fr": "L'explication de ce que l'agence a fait était claire.",
            "pl": "Wyjaśnienie tego, co zrobiła agencja, było jasne.",
        },
        {},
    ),
    (
        "reopen",
        "yes_no",
        False,
        None,
        None,
        {
            "en": "Do you want us to reopen your request?",
            "es": "¿Quiere que volvamos a abrir su solicitud?",
            "zh-hans": "您希望我们重新打开您的请求吗？",
            "ru": "Хотите, чтобы мы снова открыли вашу заявку?",
            "bn": "আপনি কি চান আমরা আপনার অনুরোধটি আবার খুলি?",
            "ht": "Èske ou vle nou relouvri demann ou an?",
            "ko": "요청을 다시 열어 드릴까요?",
            "ar": "هل تريد أن نعيد فتح طلبك؟",
            "ur": "کیا آپ چاہتے ہیں کہ ہم آپ کی درخواست دوبارہ کھولیں؟",
            "fr": "Voulez-vous que nous rouvrions votre demande ?",
            "pl": "Czy chcesz, abyśmy ponownie otworzyli Twoje zgłoszenie?",
        },
        {},
    ),
    (
        "comment",
        "text",
        False,
        1000,
        None,
        {
            "en": "Is there anything else you want to tell us?",
            "es": "¿Hay algo más que quiera decirnos?",
            "zh-hans": "您还有其他想告诉我们的吗？",
            "ru": "Хотите ли вы сообщить нам что-то ещё?",
            "bn": "আপনি কি আমাদের আর কিছু জানাতে চান?",
            "ht": "Èske gen lòt bagay ou vle di nou?",
            "ko": "더 하고 싶은 말씀이 있으신가요?",
            "ar": "هل هناك أي شيء آخر تود إخبارنا به؟",
            "ur": "کیا آپ ہمیں کچھ اور بتانا چاہتے ہیں؟",
            "fr": "Souhaitez-vous nous dire autre chose ?",
            "pl": "Czy chcesz nam powiedzieć coś jeszcze?",
        },
        {
            "en": "Please do not include your name, phone number, email or other personal details.",
            "es": "No incluya su nombre, teléfono, correo electrónico ni otros datos personales.",
            "zh-hans": "请不要填写您的姓名、电话号码、电子邮件或其他个人信息。",
            "ru": "Пожалуйста, не указывайте имя, номер телефона, email и другие личные данные.",
            "bn": "অনুগ্রহ করে আপনার নাম, ফোন নম্বর, ইমেল বা অন্য কোনো ব্যক্তিগত তথ্য লিখবেন না।",
            "ht": "Tanpri pa mete non ou, nimewo telefòn ou, imèl ou oswa lòt enfòmasyon pèsonèl.",
            "ko": "이름, 전화번호, 이메일 등 개인 정보는 적지 마세요.",
            "ar": "يُرجى عدم كتابة اسمك أو رقم هاتفك أو بريدك الإلكتروني أو أي بيانات شخصية أخرى.",
            "ur": "براہ کرم اپنا نام، فون نمبر، ای میل یا دیگر ذاتی معلومات شامل نہ کریں۔",
            "fr": "Merci de ne pas indiquer votre nom, numéro de téléphone, e-mail ou autre information personnelle.",
            "pl": "Nie podawaj imienia i nazwiska, numeru telefonu, e-maila ani innych danych osobowych.",
        },
    ),
]

REASONS = [
    (
        "not_fixed",
        {
            "en": "The problem was not fixed",
            "es": "El problema no se resolvió",
            "zh-hans": "问题没有解决",
            "ru": "Проблема не устранена",
            "bn": "সমস্যার সমাধান হয়নি",
            "ht": "Pwoblèm nan pa t rezoud",
            "ko": "문제가 해결되지 않았습니다",
            "ar": "لم يتم حل المشكلة",
            "ur": "مسئلہ حل نہیں ہوا",
            "fr": "Le problème n'a pas été résolu",
            "pl": "Problem nie został rozwiązany",
        },
    ),
    (
        "too_slow",
        {
            "en": "It took too long",
            "es": "Tardó demasiado",
            "zh-hans": "花的时间太长",
            "ru": "Это заняло слишком много времени",
            "bn": "অনেক বেশি সময় লেগেছে",
            "ht": "Sa te pran twòp tan",
            "ko": "시간이 너무 오래 걸렸습니다",
            "ar": "استغرق الأمر وقتًا طويلاً",
            "ur": "بہت زیادہ وقت لگا",
            "fr": "Cela a pris trop de temps",
            "pl": "Trwało to zbyt długo",
        },
    ),
    (
        "unclear",
        {
            "en": "I do not understand what the agency did",
            "es": "No entiendo lo que hizo la agencia",
            "zh-hans": "我不明白机构做了什么",
            "ru": "Я не понимаю, что сделало ведомство",
            "bn": "সংস্থাটি কী করেছে আমি বুঝতে পারছি না",
            "ht": "Mwen pa konprann sa ajans lan te fè",
            "ko": "기관이 무엇을 했는지 이해할 수 없습니다",
            "ar": "لا أفهم ما الذي قامت به الجهة",
            "ur": "مجھے سمجھ نہیں آیا کہ ادارے نے کیا کیا",
            "fr": "Je ne comprends pas ce que l'agence a fait",
            "pl": "Nie rozumiem, co zrobiła agencja",
        },
    ),
    (
        "wrong_reason",
        {
            "en": "The reason given for closing does not fit the problem",
            "es": "El motivo del cierre no corresponde al problema",
            "zh-hans": "关闭的理由与问题不符",
            "ru": "Причина закрытия не соответствует проблеме",
            "bn": "বন্ধ করার কারণটি সমস্যার সাথে মেলে না",
            "ht": "Rezon yo bay pou fèmen an pa koresponn ak pwoblèm nan",
            "ko": "종료 사유가 문제와 맞지 않습니다",
            "ar": "سبب الإغلاق لا يتناسب مع المشكلة",
            "ur": "بند کرنے کی وجہ مسئلے سے مطابقت نہیں رکھتی",
            "fr": "La raison de la clôture ne correspond pas au problème",
            "pl": "Powód zamknięcia nie pasuje do problemu",
        },
    ),
    (
        "no_contact",
        {
            "en": "Nobody contacted me",
            "es": "Nadie se comunicó conmigo",
            "zh-hans": "没有人联系我",
            "ru": "Со мной никто не связался",
            "bn": "কেউ আমার সাথে যোগাযোগ করেনি",
            "ht": "Pèsonn pa t kontakte m",
            "ko": "아무도 연락하지 않았습니다",
            "ar": "لم يتواصل معي أحد",
            "ur": "کسی نے مجھ سے رابطہ نہیں کیا",
            "fr": "Personne ne m'a contacté(e)",
            "pl": "Nikt się ze mną nie skontaktował",
        },
    ),
    (
        "other",
        {
            "en": "Something else",
            "es": "Otro motivo",
            "zh-hans": "其他原因",
            "ru": "Другое",
            "bn": "অন্য কিছু",
            "ht": "Lòt bagay",
            "ko": "기타",
            "ar": "سبب آخر",
            "ur": "کچھ اور",
            "fr": "Autre chose",
            "pl": "Coś innego",
        },
    ),
]


def seed(apps, schema_editor):
    Survey = apps.get_model("surveys", "Survey")
    SurveyVersion = apps.get_model("surveys", "SurveyVersion")
    SurveyVersionTranslation = apps.get_model("surveys", "SurveyVersionTranslation")
    Question = apps.get_model("surveys", "Question")
    QuestionTranslation = apps.get_model("surveys", "QuestionTranslation")
    Choice = apps.get_model("surveys", "Choice")
    ChoiceTranslation = apps.get_model("surveys", "ChoiceTranslation")

    survey = Survey.objects.create(name="Resolution satisfaction", is_default=True)
    version = SurveyVersion.objects.create(
        survey=survey,
        number=1,
        status="published",
        title=TITLE["en"],
        introduction=INTRODUCTION["en"],
        change_note="Default survey, comparable with NYC's resolution satisfaction survey.",
        published_at=timezone.now(),
    )
    for language in TITLE.keys() - {"en"}:
        SurveyVersionTranslation.objects.create(
            version=version,
            language=language,
            title=TITLE[language],
            introduction=INTRODUCTION[language],
        )

    by_key = {}
    for position, (
        key,
        kind,
        required,
        max_length,
        show_when,
        prompts,
        helps,
    ) in enumerate(QUESTIONS, start=1):
        question = Question.objects.create(
            version=version,
            position=position,
            key=key,
            kind=kind,
            prompt=prompts["en"],
            help_text=helps.get("en", ""),
            is_required=required,
            max_length=max_length,
            show_when_question=by_key[show_when[0]] if show_when else None,
            show_when_values=show_when[1] if show_when else [],
        )
        by_key[key] = question
        for language in prompts.keys() - {"en"}:
            QuestionTranslation.objects.create(
                question=question,
                language=language,
                prompt=prompts[language],
                help_text=helps.get(language, ""),
            )

    for position, (value, labels) in enumerate(REASONS, start=1):
        choice = Choice.objects.create(
            question=by_key["dissatisfied_reasons"],
            position=position,
            value=value,
            label=labels["en"],
        )
        ChoiceTranslation.objects.bulk_create(
            ChoiceTranslation(choice=choice, language=language, label=label)
            for language, label in labels.items()
            if language != "en"
        )


def unseed(apps, schema_editor):
    apps.get_model("surveys", "Survey").objects.filter(
        name="Resolution satisfaction"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
