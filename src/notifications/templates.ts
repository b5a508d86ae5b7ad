import type { NotificationType } from "./schema.ts";

/**
 * The default text of every message, French first, with Arabic and English:
 * what `notification_templates` is seeded with (one row per type and
 * language; admins edit the rows). `{name}` placeholders are filled from the
 * message's data when it is sent (render.ts): money and instants are
 * formatted in the reader's language. `subject` is the email subject and push
 * title; `body` the in-app text, push body and email paragraphs (a blank line
 * starts a new paragraph); `sms` the text message when it differs from `body`.
 */
export interface DefaultText {
  subject: string;
  body: string;
  sms?: string;
}
type Localized = Record<"fr" | "ar" | "en", DefaultText>;

export const DEFAULT_TEMPLATES = {
  EMAIL_CODE_SIGNUP: {
    fr: { subject: "Votre code de vérification", body: "Bonjour {first_name}, votre code de vérification est {code}. Il expire dans {minutes} minutes." },
    ar: { subject: "رمز التحقق الخاص بك", body: "مرحبًا {first_name}، رمز التحقق الخاص بك هو {code}. تنتهي صلاحيته خلال {minutes} دقيقة." },
    en: { subject: "Your verification code", body: "Hello {first_name}, your verification code is {code}. It expires in {minutes} minutes." },
  },
  EMAIL_CODE_EMAIL_CHANGE: {
    fr: { subject: "Confirmez votre nouvelle adresse", body: "Votre code pour confirmer cette adresse e-mail est {code}. Il expire dans {minutes} minutes." },
    ar: { subject: "أكد عنوانك الجديد", body: "رمز تأكيد عنوان البريد الإلكتروني هذا هو {code}. تنتهي صلاحيته خلال {minutes} دقيقة." },
    en: { subject: "Confirm your new address", body: "Your code to confirm this email address is {code}. It expires in {minutes} minutes." },
  },
  EMAIL_CODE_REACTIVATION: {
    fr: { subject: "Réactivez votre compte", body: "Votre code de réactivation est {code}. Il expire dans {minutes} minutes." },
    ar: { subject: "أعد تفعيل حسابك", body: "رمز إعادة التفعيل الخاص بك هو {code}. تنتهي صلاحيته خلال {minutes} دقيقة." },
    en: { subject: "Reactivate your account", body: "Your reactivation code is {code}. It expires in {minutes} minutes." },
  },
  TWO_FACTOR_CODE: {
    fr: { subject: "Code de connexion", body: "Votre code de connexion est {code}. Ne le communiquez à personne." },
    ar: { subject: "رمز تسجيل الدخول", body: "رمز تسجيل الدخول الخاص بك هو {code}. لا تشاركه مع أي شخص." },
    en: { subject: "Sign-in code", body: "Your sign-in code is {code}. Do not share it with anyone." },
  },
  PASSWORD_RESET: {
    fr: { subject: "Réinitialisation du mot de passe", body: "Pour choisir un nouveau mot de passe, utilisez ce jeton dans l'application : {token}. Il expire dans {minutes} minutes. Si vous n'êtes pas à l'origine de cette demande, ignorez ce message." },
    ar: { subject: "إعادة تعيين كلمة المرور", body: "لاختيار كلمة مرور جديدة، استخدم هذا الرمز في التطبيق: {token}. تنتهي صلاحيته خلال {minutes} دقيقة. إذا لم تطلب ذلك، فتجاهل هذه الرسالة." },
    en: { subject: "Password reset", body: "To choose a new password, use this token in the app: {token}. It expires in {minutes} minutes. If you did not ask for this, ignore this message." },
  },
  SECURITY_ALERT: {
    fr: { subject: "Alerte de sécurité", body: "Nous avons fermé vos sessions : {reason}. Reconnectez-vous et changez votre mot de passe si ce n'était pas vous." },
    ar: { subject: "تنبيه أمني", body: "لقد أغلقنا جلساتك: {reason}. سجّل الدخول مجددًا وغيّر كلمة المرور إذا لم تكن أنت." },
    en: { subject: "Security alert", body: "We closed your sessions: {reason}. Sign in again and change your password if this was not you." },
  },
  WELCOME: {
    fr: { subject: "Bienvenue sur SpotVibe", body: "Bienvenue {first_name} ! Découvrez les événements près de chez vous." },
    ar: { subject: "مرحبًا بك في SpotVibe", body: "مرحبًا {first_name}! اكتشف الفعاليات القريبة منك." },
    en: { subject: "Welcome to SpotVibe", body: "Welcome {first_name}! Discover the events near you." },
  },
  NEW_FOLLOWER: {
    fr: { subject: "Nouvel abonné", body: "{follower_name} vous suit désormais." },
    ar: { subject: "متابع جديد", body: "{follower_name} يتابعك الآن." },
    en: { subject: "New follower", body: "{follower_name} now follows you." },
  },
  VERIFICATION_APPROVED: {
    fr: { subject: "Identité vérifiée", body: "Votre identité a été vérifiée. Merci !" },
    ar: { subject: "تم التحقق من الهوية", body: "تم التحقق من هويتك. شكرًا لك!" },
    en: { subject: "Identity verified", body: "Your identity has been verified. Thank you!" },
  },
  VERIFICATION_REJECTED: {
    fr: { subject: "Vérification refusée", body: "Votre vérification d'identité a été refusée : {comment}. Vous pouvez soumettre de nouveaux documents." },
    ar: { subject: "تم رفض التحقق", body: "تم رفض التحقق من هويتك: {comment}. يمكنك إرسال مستندات جديدة." },
    en: { subject: "Verification rejected", body: "Your identity verification was rejected: {comment}. You can submit new documents." },
  },
  EVENT_APPROVED: {
    fr: { subject: "Événement validé", body: "Votre événement « {event_title} » a été validé : il est maintenant visible par tous." },
    ar: { subject: "تمت الموافقة على الفعالية", body: "تمت الموافقة على فعاليتك « {event_title} »: أصبحت الآن مرئية للجميع." },
    en: { subject: "Event approved", body: "Your event \"{event_title}\" has been approved: it is now visible to everyone." },
  },
  EVENT_REJECTED: {
    fr: { subject: "Événement refusé", body: "Votre événement « {event_title} » a été refusé : {comment}. Vous pouvez le modifier et le soumettre à nouveau." },
    ar: { subject: "تم رفض الفعالية", body: "تم رفض فعاليتك « {event_title} »: {comment}. يمكنك تعديلها وإرسالها مرة أخرى." },
    en: { subject: "Event rejected", body: "Your event \"{event_title}\" was rejected: {comment}. You can edit it and submit it again." },
  },
  EVENT_CANCELLED: {
    fr: { subject: "Événement annulé", body: "Votre événement « {event_title} » a été annulé par l'équipe SpotVibe : {reason}." },
    ar: { subject: "تم إلغاء الفعالية", body: "قام فريق SpotVibe بإلغاء فعاليتك « {event_title} »: {reason}." },
    en: { subject: "Event cancelled", body: "Your event \"{event_title}\" was cancelled by the SpotVibe team: {reason}." },
  },
  CONTACT_REPLY: {
    fr: { subject: "Re : {subject}", body: "Bonjour {name}, voici la réponse de l'équipe SpotVibe à votre message « {subject} » :\n\n{reply}" },
    ar: { subject: "رد: {subject}", body: "مرحبًا {name}، إليك رد فريق SpotVibe على رسالتك « {subject} »:\n\n{reply}" },
    en: { subject: "Re: {subject}", body: "Hello {name}, here is the SpotVibe team's reply to your message \"{subject}\":\n\n{reply}" },
  },
  TICKET_TRANSFERRED: {
    fr: { subject: "Un billet vous a été transféré", body: "{sender_name} vous a transféré un billet pour « {event_title} ». Il est dans vos billets, avec son propre code QR. {message}" },
    ar: { subject: "تم تحويل تذكرة إليك", body: "قام {sender_name} بتحويل تذكرة إليك لـ « {event_title} ». ستجدها ضمن تذاكرك مع رمز QR خاص بها. {message}" },
    en: { subject: "A ticket was transferred to you", body: "{sender_name} transferred a ticket for \"{event_title}\" to you. It is in your tickets, with its own QR code. {message}" },
  },
  TRANSFER_OFFER: {
    fr: { subject: "Une offre de billet vous attend", body: "{sender_name} vous propose un billet pour « {event_title} ». Acceptez ou refusez l'offre avant le {expires_at}. {message}" },
    ar: { subject: "عرض تذكرة بانتظارك", body: "يعرض عليك {sender_name} تذكرة لـ « {event_title} ». اقبل العرض أو ارفضه قبل {expires_at}. {message}" },
    en: { subject: "A ticket offer is waiting for you", body: "{sender_name} is offering you a ticket for \"{event_title}\". Accept or decline the offer before {expires_at}. {message}" },
  },
  TRANSFER_ACCEPTED: {
    fr: { subject: "Votre offre a été acceptée", body: "{recipient_name} a accepté votre offre pour « {event_title} ». Votre ancien code QR ne fonctionne plus." },
    ar: { subject: "تم قبول عرضك", body: "قبل {recipient_name} عرضك لـ « {event_title} ». لم يعد رمز QR القديم صالحًا." },
    en: { subject: "Your offer was accepted", body: "{recipient_name} accepted your offer for \"{event_title}\". Your old QR code no longer works." },
  },
  TRANSFER_DECLINED: {
    fr: { subject: "Votre offre a été refusée", body: "{recipient_name} a refusé votre offre pour « {event_title} ». Votre billet reste à vous. {reason}" },
    ar: { subject: "تم رفض عرضك", body: "رفض {recipient_name} عرضك لـ « {event_title} ». تبقى تذكرتك لك. {reason}" },
    en: { subject: "Your offer was declined", body: "{recipient_name} declined your offer for \"{event_title}\". Your ticket stays yours. {reason}" },
  },
  LOAN_RETURNED: {
    fr: { subject: "Billet prêté récupéré", body: "{sender_name} a récupéré le billet prêté pour « {event_title} ». Son code QR ne fonctionne plus pour vous." },
    ar: { subject: "تم استرجاع التذكرة المعارة", body: "استرجع {sender_name} التذكرة المعارة لـ « {event_title} ». لم يعد رمز QR الخاص بها صالحًا لك." },
    en: { subject: "Lent ticket recalled", body: "{sender_name} recalled the ticket lent to you for \"{event_title}\". Its QR code no longer works for you." },
  },
  ZONE_CHANGED: {
    fr: { subject: "Changement de zone", body: "Bonjour {first_name}, pour « {event_title} », votre accès passe de la zone {from_zone} à la zone {to_zone} : {reason}. Présentez-vous à une porte qui dessert la zone {to_zone} ; votre billet et son code QR restent valables." },
    ar: { subject: "تغيير المنطقة", body: "مرحبًا {first_name}، بالنسبة لـ « {event_title} »، تم نقل دخولك من المنطقة {from_zone} إلى المنطقة {to_zone}: {reason}. توجّه إلى بوابة تؤدي إلى المنطقة {to_zone}؛ تذكرتك ورمز QR الخاص بها يبقيان صالحين." },
    en: { subject: "Zone change", body: "Hello {first_name}, for \"{event_title}\", your access moves from zone {from_zone} to zone {to_zone}: {reason}. Go to a gate serving zone {to_zone}; your ticket and its QR code remain valid." },
  },
  ACCESS_GRANTED: {
    fr: { subject: "Vous êtes invité(e)", body: "Bonjour {first_name}, vous avez reçu {quantity} accès pour « {event_title} ». Votre billet et son code QR sont dans l'application." },
    ar: { subject: "لقد تمت دعوتك", body: "مرحبًا {first_name}، لقد حصلت على {quantity} دخول لـ « {event_title} ». تذكرتك ورمز QR الخاص بها موجودان في التطبيق." },
    en: { subject: "You're invited", body: "Hello {first_name}, you have received {quantity} access pass(es) for \"{event_title}\". Your ticket and its QR code are in the app." },
  },
  TICKETS_READY: {
    fr: { subject: "Vos billets sont prêts", body: "Bonjour {first_name}, vos {quantity} billet(s) {ticket_number} pour « {event_title} » et leurs codes QR sont dans l'application." },
    ar: { subject: "تذاكرك جاهزة", body: "مرحبًا {first_name}، تذاكرك ({quantity}) {ticket_number} لـ « {event_title} » ورموز QR الخاصة بها موجودة في التطبيق." },
    en: { subject: "Your tickets are ready", body: "Hello {first_name}, your {quantity} ticket(s) {ticket_number} for \"{event_title}\" and their QR codes are in the app." },
  },
  TICKET_PURCHASED: {
    fr: { subject: "Vos billets sont prêts", body: "Bonjour {first_name}, votre paiement de {amount} (réf. {reference}) est confirmé. Vos {quantity} billet(s) {ticket_number} et leurs codes QR sont dans l'application." },
    ar: { subject: "تذاكرك جاهزة", body: "مرحبًا {first_name}، تم تأكيد دفعتك البالغة {amount} (المرجع {reference}). تذاكرك ({quantity}) {ticket_number} ورموز QR الخاصة بها موجودة في التطبيق." },
    en: { subject: "Your tickets are ready", body: "Hello {first_name}, your payment of {amount} (ref. {reference}) is confirmed. Your {quantity} ticket(s) {ticket_number} and their QR codes are in the app." },
  },
  PAYMENT_SUCCESS: {
    fr: { subject: "Paiement confirmé", body: "Bonjour {first_name}, votre paiement de {amount} (réf. {reference}) est confirmé." },
    ar: { subject: "تم تأكيد الدفع", body: "مرحبًا {first_name}، تم تأكيد دفعتك البالغة {amount} (المرجع {reference})." },
    en: { subject: "Payment confirmed", body: "Hello {first_name}, your payment of {amount} (ref. {reference}) is confirmed." },
  },
  PAYMENT_FAILED: {
    fr: { subject: "Paiement non abouti", body: "Bonjour {first_name}, votre paiement de {amount} (réf. {reference}) n'a pas abouti. Aucun montant n'a été prélevé ; vous pouvez réessayer." },
    ar: { subject: "لم تتم عملية الدفع", body: "مرحبًا {first_name}، لم تتم دفعتك البالغة {amount} (المرجع {reference}). لم يتم خصم أي مبلغ؛ يمكنك المحاولة مرة أخرى." },
    en: { subject: "Payment not completed", body: "Hello {first_name}, your payment of {amount} (ref. {reference}) did not go through. Nothing was charged; you can try again." },
  },
  REFUND_COMPLETED: {
    fr: { subject: "Remboursement effectué", body: "Bonjour {first_name}, {amount} vous ont été remboursés (paiement {reference}). {reason}" },
    ar: { subject: "تم الاسترداد", body: "مرحبًا {first_name}، تم رد {amount} إليك (الدفعة {reference}). {reason}" },
    en: { subject: "Refund completed", body: "Hello {first_name}, {amount} has been refunded to you (payment {reference}). {reason}" },
  },
  REFUND_REJECTED: {
    fr: { subject: "Demande de remboursement refusée", body: "Bonjour {first_name}, votre demande de remboursement du paiement {reference} a été refusée : {comment}" },
    ar: { subject: "تم رفض طلب الاسترداد", body: "مرحبًا {first_name}، تم رفض طلب استرداد الدفعة {reference}: {comment}" },
    en: { subject: "Refund request declined", body: "Hello {first_name}, your refund request for payment {reference} was declined: {comment}" },
  },
  ORGANIZATION_INVITATION: {
    fr: { subject: "Invitation à rejoindre {organization_name}", body: "{inviter_name} vous invite à rejoindre l'équipe de « {organization_name} » sur SpotVibe avec le rôle {role}. Pour accepter, utilisez ce jeton dans l'application : {token}. Il expire dans {days} jours. Si vous ne vous attendiez pas à cette invitation, ignorez ce message." },
    ar: { subject: "دعوة للانضمام إلى {organization_name}", body: "يدعوك {inviter_name} للانضمام إلى فريق « {organization_name} » على SpotVibe بدور {role}. للقبول، استخدم هذا الرمز في التطبيق: {token}. تنتهي صلاحيته خلال {days} أيام. إذا لم تكن تتوقع هذه الدعوة، فتجاهل هذه الرسالة." },
    en: { subject: "Invitation to join {organization_name}", body: "{inviter_name} invites you to join the team of \"{organization_name}\" on SpotVibe as {role}. To accept, use this token in the app: {token}. It expires in {days} days. If you did not expect this invitation, ignore this message." },
  },
  SUBSCRIPTION_EXPIRING: {
    fr: { subject: "Votre abonnement arrive à échéance", body: "Bonjour {first_name}, votre abonnement {plan_name} se termine le {ends_at}. Renouvelez-le depuis votre espace organisateur pour garder ses avantages." },
    ar: { subject: "اشتراكك على وشك الانتهاء", body: "مرحبًا {first_name}، ينتهي اشتراكك {plan_name} في {ends_at}. جدّده من مساحة المنظم للاحتفاظ بمزاياه." },
    en: { subject: "Your subscription is ending", body: "Hello {first_name}, your {plan_name} subscription ends on {ends_at}. Renew it from your organizer space to keep its benefits." },
  },
  EVENT_CREATED: {
    fr: { subject: "Nouvel événement de {organizer_name}", body: "{organizer_name} publie « {event_title} », le {starts_at}." },
    ar: { subject: "فعالية جديدة من {organizer_name}", body: "ينشر {organizer_name} « {event_title} » في {starts_at}." },
    en: { subject: "New event from {organizer_name}", body: "{organizer_name} published \"{event_title}\", on {starts_at}." },
  },
  EVENT_REMINDER: {
    fr: { subject: "Rappel : {event_title}", body: "Bonjour {first_name}, « {event_title} » commence le {starts_at} ; les portes ouvrent le {doors_at}. {venue_name}", sms: "Rappel : {event_title}, portes {doors_at}. {venue_name}" },
    ar: { subject: "تذكير: {event_title}", body: "مرحبًا {first_name}، تبدأ « {event_title} » في {starts_at}؛ تُفتح الأبواب في {doors_at}. {venue_name}", sms: "تذكير: {event_title}، الأبواب {doors_at}. {venue_name}" },
    en: { subject: "Reminder: {event_title}", body: "Hello {first_name}, \"{event_title}\" starts on {starts_at}; doors open on {doors_at}. {venue_name}", sms: "Reminder: {event_title}, doors {doors_at}. {venue_name}" },
  },
  FOLLOW_EVENT: {
    fr: { subject: "{friend_name} participe à un événement", body: "{friend_name}, que vous suivez, participe à « {event_title} » le {starts_at}." },
    ar: { subject: "{friend_name} سيحضر فعالية", body: "{friend_name}، الذي تتابعه، سيحضر « {event_title} » في {starts_at}." },
    en: { subject: "{friend_name} is going to an event", body: "{friend_name}, whom you follow, is going to \"{event_title}\" on {starts_at}." },
  },
  SUBSCRIPTION_EXPIRED: {
    fr: { subject: "Votre abonnement a expiré", body: "Bonjour {first_name}, votre abonnement {plan_name} a expiré le {ends_at}. Renouvelez-le depuis votre espace organisateur." },
    ar: { subject: "انتهى اشتراكك", body: "مرحبًا {first_name}، انتهى اشتراكك {plan_name} في {ends_at}. جدّده من مساحة المنظم." },
    en: { subject: "Your subscription has expired", body: "Hello {first_name}, your {plan_name} subscription expired on {ends_at}. Renew it from your organizer space." },
  },
  SYSTEM_MAINTENANCE: {
    fr: { subject: "Maintenance : {title}", body: "{message} Du {starts_at} au {ends_at}." },
    ar: { subject: "صيانة: {title}", body: "{message} من {starts_at} إلى {ends_at}." },
    en: { subject: "Maintenance: {title}", body: "{message} From {starts_at} to {ends_at}." },
  },
  ACCOUNT_CLAIM: {
    fr: { subject: "Activez votre compte", body: "Bonjour, votre code pour activer le compte de cette adresse et choisir un mot de passe est {code}. Il expire dans {minutes} minutes." },
    ar: { subject: "فعّل حسابك", body: "مرحبًا، رمزك لتفعيل الحساب المرتبط بهذا العنوان واختيار كلمة مرور هو {code}. تنتهي صلاحيته خلال {minutes} دقيقة." },
    en: { subject: "Activate your account", body: "Hello, your code to activate the account of this address and choose a password is {code}. It expires in {minutes} minutes." },
  },
  ANNOUNCEMENT: {
    fr: { subject: "{title}", body: "{message}" },
    ar: { subject: "{title}", body: "{message}" },
    en: { subject: "{title}", body: "{message}" },
  },
  DIGEST: {
    fr: { subject: "Votre résumé SpotVibe", body: "Bonjour {first_name}, voici ce qui s'est passé :\n\n{items}" },
    ar: { subject: "ملخصك من SpotVibe", body: "مرحبًا {first_name}، إليك ما حدث:\n\n{items}" },
    en: { subject: "Your SpotVibe digest", body: "Hello {first_name}, here is what happened:\n\n{items}" },
  },
  // The holders of a cancelled event (event-cancellation.ts): one message each, by what they held.
  EVENT_CANCELLED_BUYER: {
    fr: { subject: "Événement annulé : {event_title}", body: "Bonjour {first_name}, « {event_title} », prévu le {starts_at}, est annulé : {reason}. Vos billets ne sont plus valables. Les {amount} que vous avez payés vous sont remboursés sur le moyen de paiement utilisé ; un message vous le confirmera une fois le remboursement effectué." },
    ar: { subject: "تم إلغاء الفعالية: {event_title}", body: "مرحبًا {first_name}، تم إلغاء « {event_title} » المقررة في {starts_at}: {reason}. لم تعد تذاكرك صالحة. سيُرد إليك مبلغ {amount} الذي دفعته إلى وسيلة الدفع التي استخدمتها، وستصلك رسالة تؤكد ذلك عند إتمام الاسترداد." },
    en: { subject: "Event cancelled: {event_title}", body: "Hello {first_name}, \"{event_title}\", planned for {starts_at}, is cancelled: {reason}. Your tickets no longer work. The {amount} you paid is refunded to the payment method you used; a message will confirm it once the refund is done." },
  },
  EVENT_CANCELLED_HOLDER: {
    fr: { subject: "Événement annulé : {event_title}", body: "Bonjour {first_name}, « {event_title} », prévu le {starts_at}, est annulé : {reason}. Vos billets ne sont plus valables. Rien ne vous a été prélevé pour eux : il n'y a rien à rembourser." },
    ar: { subject: "تم إلغاء الفعالية: {event_title}", body: "مرحبًا {first_name}، تم إلغاء « {event_title} » المقررة في {starts_at}: {reason}. لم تعد تذاكرك صالحة. لم يُخصم منك أي مبلغ مقابلها، فلا يوجد ما يُسترد." },
    en: { subject: "Event cancelled: {event_title}", body: "Hello {first_name}, \"{event_title}\", planned for {starts_at}, is cancelled: {reason}. Your tickets no longer work. Nothing was charged to you for them, so there is nothing to refund." },
  },
  EVENT_CANCELLED_PASS: {
    fr: { subject: "Événement annulé : {event_title}", body: "Bonjour {first_name}, « {event_title} », prévu le {starts_at}, est annulé : {reason}. L'accès de votre abonnement à cet événement n'est plus valable ; votre abonnement reste valable pour ses autres événements. Rien n'est prélevé ni remboursé pour celui-ci." },
    ar: { subject: "تم إلغاء الفعالية: {event_title}", body: "مرحبًا {first_name}، تم إلغاء « {event_title} » المقررة في {starts_at}: {reason}. لم يعد دخول اشتراكك إلى هذه الفعالية صالحًا، ويبقى اشتراكك صالحًا لفعالياته الأخرى. لا يُخصم ولا يُسترد أي مبلغ مقابل هذه الفعالية." },
    en: { subject: "Event cancelled: {event_title}", body: "Hello {first_name}, \"{event_title}\", planned for {starts_at}, is cancelled: {reason}. Your season pass's access to it no longer works; your pass stays valid for its other events. Nothing is charged or refunded for this one." },
  },
  // A waiting list's offer (durable-objects/event/waitlist.ts): the units are held for the reader until {expires_at}.
  WAITLIST_OFFER: {
    fr: { subject: "Des billets vous attendent : {event_title}", body: "Bonne nouvelle : {quantity} billet(s) {ticket_type} pour « {event_title} » sont réservés pour vous grâce à la liste d'attente. Commandez-les avant le {expires_at} avec l'offre {offer_id} ; passé ce délai, ils iront à la personne suivante." },
    ar: { subject: "تذاكر بانتظارك: {event_title}", body: "خبر سار: تم حجز {quantity} تذكرة {ticket_type} لـ « {event_title} » لك من قائمة الانتظار. اطلبها قبل {expires_at} باستخدام العرض {offer_id}؛ بعد ذلك تذهب إلى الشخص التالي." },
    en: { subject: "Tickets are waiting for you: {event_title}", body: "Good news: {quantity} {ticket_type} ticket(s) for \"{event_title}\" are reserved for you from the waiting list. Order them before {expires_at} with offer {offer_id}; after that they go to the next person in line." },
  },
  PASS_INSTALMENT_DUE: {
    fr: { subject: "Échéance {number}/{count} de votre abonnement", body: "Bonjour {first_name}, l'échéance {number}/{count} de votre abonnement {plan_name}, {amount}, est à régler au plus tard le {due_date}. Réglez-la depuis l'application ; impayée après cette date, votre abonnement est suspendu jusqu'à son paiement.", sms: "Abonnement {plan_name} : échéance {number}/{count} de {amount} à régler au plus tard le {due_date}." },
    ar: { subject: "القسط {number}/{count} من اشتراكك", body: "مرحبًا {first_name}، يجب دفع القسط {number}/{count} من اشتراكك {plan_name}، بمبلغ {amount}، في موعد أقصاه {due_date}. ادفعه من التطبيق؛ إذا لم يُدفع بعد هذا التاريخ، يُعلَّق اشتراكك حتى دفعه.", sms: "اشتراك {plan_name}: القسط {number}/{count} بمبلغ {amount} يُدفع في موعد أقصاه {due_date}." },
    en: { subject: "Instalment {number}/{count} of your season pass", body: "Hello {first_name}, instalment {number}/{count} of your {plan_name} season pass, {amount}, is due by {due_date}. Pay it in the app; unpaid after that date, your pass is suspended until it is paid.", sms: "{plan_name} pass: instalment {number}/{count} of {amount} due by {due_date}." },
  },
  // Automatic season-pass renewals (src/passes/renewals.ts).
  PASS_RENEWAL_REQUESTED: {
    fr: { subject: "Renouvellement de votre abonnement", body: "Bonjour {first_name}, votre abonnement {plan_name} est renouvelé automatiquement pour la période du {valid_from} au {valid_until}, avec votre place. Un paiement de {amount} (réf. {reference}) vous est demandé par le moyen choisi : validez-le (sur votre téléphone pour le Mobile Money), ou payez-le depuis vos paiements dans l'application. Pour ne plus renouveler automatiquement, désactivez-le dans votre abonnement." },
    ar: { subject: "تجديد اشتراكك", body: "مرحبًا {first_name}، يُجدَّد اشتراكك {plan_name} تلقائيًا للفترة من {valid_from} إلى {valid_until} مع مقعدك. طُلبت منك دفعة بقيمة {amount} (المرجع {reference}) عبر الوسيلة التي اخترتها: وافق عليها (على هاتفك بالنسبة للدفع عبر الهاتف المحمول) أو ادفعها من قسم المدفوعات في التطبيق. لإيقاف التجديد التلقائي، عطّله في اشتراكك." },
    en: { subject: "Renewing your season pass", body: "Hello {first_name}, your {plan_name} pass is being renewed automatically for {valid_from} to {valid_until}, with your seat. A payment of {amount} (ref. {reference}) is asked of you through the method you chose: approve it (on your phone for Mobile Money), or pay it from your payments in the app. To stop automatic renewals, turn them off on your pass." },
  },
  PASS_RENEWAL_RETRY: {
    fr: { subject: "Le renouvellement de votre abonnement a échoué", body: "Bonjour {first_name}, le renouvellement automatique de votre abonnement {plan_name} n'a pas abouti. Rien ne vous a été prélevé. Nous réessaierons le {retry_at} ; vous pouvez aussi le renouveler vous-même avant le {valid_until}." },
    ar: { subject: "فشل تجديد اشتراكك", body: "مرحبًا {first_name}، لم ينجح التجديد التلقائي لاشتراكك {plan_name}. لم يُخصم منك أي مبلغ. سنحاول مجددًا في {retry_at}، ويمكنك أيضًا تجديده بنفسك قبل {valid_until}." },
    en: { subject: "Your season pass renewal failed", body: "Hello {first_name}, the automatic renewal of your {plan_name} pass did not go through. Nothing was charged. We will try again on {retry_at}; you can also renew it yourself before {valid_until}." },
  },
  PASS_RENEWAL_FAILED: {
    fr: { subject: "Votre abonnement n'a pas été renouvelé", body: "Bonjour {first_name}, le renouvellement automatique de votre abonnement {plan_name} n'a pas abouti et ne sera plus tenté. Rien ne vous a été prélevé. Renouvelez-le vous-même avant le {valid_until} pour garder votre place." },
    ar: { subject: "لم يُجدَّد اشتراكك", body: "مرحبًا {first_name}، لم ينجح التجديد التلقائي لاشتراكك {plan_name} ولن تُعاد المحاولة. لم يُخصم منك أي مبلغ. جدّده بنفسك قبل {valid_until} للاحتفاظ بمقعدك." },
    en: { subject: "Your season pass was not renewed", body: "Hello {first_name}, the automatic renewal of your {plan_name} pass did not go through and will not be tried again. Nothing was charged. Renew it yourself before {valid_until} to keep your place." },
  },
  // A whole season pass handed to another person (src/passes/transfers.ts): its former holder, and its new one.
  PASS_TRANSFERRED_OUT: {
    fr: { subject: "Votre abonnement a été transféré", body: "Bonjour {first_name}, votre abonnement {plan_name} ({subscription_number}) a été transféré à {recipient_name}. Vos accès aux prochains événements ne sont plus valables ; ceux déjà passés restent dans votre historique." },
    ar: { subject: "تم نقل اشتراكك", body: "مرحبًا {first_name}، تم نقل اشتراكك {plan_name} ({subscription_number}) إلى {recipient_name}. لم تعد تذاكر دخولك إلى الفعاليات القادمة صالحة، وتبقى الفعاليات السابقة في سجلك." },
    en: { subject: "Your season pass was transferred", body: "Hello {first_name}, your {plan_name} pass ({subscription_number}) was transferred to {recipient_name}. Your access to the coming events no longer works; past ones stay in your history." },
  },
  PASS_TRANSFERRED_IN: {
    fr: { subject: "Vous avez reçu un abonnement", body: "Bonjour {first_name}, {holder_name} vous a transféré son abonnement {plan_name}, valable jusqu'au {valid_until} (n° {subscription_number}). Vos accès aux prochains événements sont dans l'application, avec de nouveaux QR codes." },
    ar: { subject: "تلقيت اشتراكًا", body: "مرحبًا {first_name}، نقل إليك {holder_name} اشتراكه {plan_name} الصالح حتى {valid_until} (رقم {subscription_number}). تذاكر دخولك إلى الفعاليات القادمة موجودة في التطبيق برموز QR جديدة." },
    en: { subject: "You received a season pass", body: "Hello {first_name}, {holder_name} transferred their {plan_name} pass to you, valid until {valid_until} (no. {subscription_number}). Your access to the coming events is in the app, with new QR codes." },
  },
} satisfies Record<NotificationType, Localized> as Record<NotificationType, Localized>;
