#include "server/http/restapi.h"

#include <QDateTime>
#include <QHttpServerRequest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpSocket>
#include <QUrlQuery>
#include <memory>

#include "server/http/httpresponse.h"
#include "server/http/multipartform.h"
#include "server/http/resterror.h"
#include "server/services/adminservice.h"
#include "server/services/authservice.h"
#include "server/services/chatservice.h"
#include "server/services/contactservice.h"
#include "server/services/fileservice.h"
#include "server/services/groupservice.h"
#include "server/services/pushdispatcher.h"
#include "server/services/supportservice.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/requestfields.h"

using namespace Qt::StringLiterals;

namespace Switchboard::Server {

namespace {
ProtocolError badRequest(const QString &message)
{
    return ProtocolError::make(ErrorCode::BadRequest, message);
}

// A path id: digits only, a positive safe integer.
std::optional<qint64> pathId(const QString &segment)
{
    if (segment.isEmpty() || segment.size() > 16)
        return std::nullopt;
    for (QChar c : segment) {
        if (!c.isDigit() || c.unicode() > 127)
            return std::nullopt;
    }
    const qint64 v = segment.toLongLong();
    if (v < 1 || v > 9007199254740991LL)
        return std::nullopt;
    return v;
}

Result<QJsonObject> jsonBody(const QHttpServerRequest &request)
{
    const QByteArray body = request.body();
    if (body.size() > RestApi::kMaxJsonBody)
        return ProtocolError::make(ErrorCode::TooLarge, u"Request body too large"_s);
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return badRequest(u"Request body must be a JSON object"_s);
    return doc.object();
}

// Query parameters that are numbers on the WebSocket side: digits only, never coerced otherwise.
Result<QJsonObject> numericQuery(const QUrlQuery &query, std::initializer_list<const char *> keys)
{
    QJsonObject out;
    for (const char *k : keys) {
        const QString key = QString::fromLatin1(k);
        if (!query.hasQueryItem(key))
            continue;
        const QString text = query.queryItemValue(key);
        bool ok = !text.isEmpty() && text.size() <= 16;
        for (QChar c : text)
            ok = ok && c.isDigit() && c.unicode() < 128;
        if (!ok)
            return badRequest(u"Query parameter '%1' must be a non-negative integer"_s.arg(key));
        out.insert(key, double(text.toLongLong()));
    }
    return out;
}
} // namespace

RestApi::RestApi(const Services &services, QObject *parent)
    : QObject(parent),
      m_auth(services.auth),
      m_chat(services.chat),
      m_groups(services.groups),
      m_contacts(services.contacts),
      m_support(services.support),
      m_admin(services.admin),
      m_files(services.files),
      m_push(services.push)
{ }

RestApi::Respond RestApi::responder(QTcpSocket *socket, int successStatus)
{
    auto response = std::make_shared<HttpResponse>(socket);
    return [response, successStatus](Result<QJsonObject> r) {
        if (r)
            response->send(successStatus, JsonCodec::serialize(r.value()));
        else
            response->send(RestError::httpStatus(r.error().code), RestError::body(r.error()));
    };
}

void RestApi::withUser(
    const QHttpServerRequest &request, const Respond &respond, std::function<void(const UserInfo &)> then)
{
    const QByteArray header = request.value("authorization");
    if (header.isEmpty())
        return respond(ProtocolError::make(ErrorCode::NotAuthenticated, u"Authorization: Bearer token required"_s));
    if (header.size() <= 7 || header.left(7).compare("Bearer ", Qt::CaseInsensitive) != 0)
        return respond(ProtocolError::make(ErrorCode::AuthFailed, u"Invalid or expired token"_s));
    m_auth.authenticate(QString::fromLatin1(header.mid(7).trimmed()), [respond, then](Result<UserInfo> r) {
        if (!r)
            return respond(r.error());
        then(r.value());
    });
}

void RestApi::handle(const QHttpServerRequest &request, QTcpSocket *socket)
{
    const QString path = request.url().path();
    const auto method = request.method();
    const bool get = method == QHttpServerRequest::Method::Get;
    const bool post = method == QHttpServerRequest::Method::Post;
    QStringList parts = path.split(u'/', Qt::SkipEmptyParts);
    auto notFound = [socket] {
        HttpResponse(socket).send(404, RestError::body(ProtocolError::make(ErrorCode::NotFound, u"Not found"_s)));
    };
    auto notAllowed
        = [socket] { HttpResponse(socket).send(405, RestError::body(badRequest(u"Method not allowed"_s))); };

    if (StaticAssets::handles(path))
        return m_assets.serve(request, socket);
    if (path == u"/healthz"_s) {
        if (!get)
            return notAllowed();
        const bool ok = m_admin.storageAvailable();
        HttpResponse(socket).send(ok ? 200 : 503,
            JsonCodec::serialize(QJsonObject {
                {u"status"_s, ok ? u"ok"_s : u"unavailable"_s}, {u"storage"_s, ok ? u"ok"_s : u"down"_s}}));
        return;
    }
    if (path == u"/metrics"_s) {
        if (!get)
            return notAllowed();
        HttpResponse(socket).send(200, m_admin.prometheusText(), "text/plain; version=0.0.4; charset=utf-8");
        return;
    }
    if (parts.size() < 3 || parts[0] != u"api"_s || parts[1] != u"v1"_s)
        return notFound();
    parts = parts.mid(2);
    const QString remote = request.remoteAddress().toString();

    // --- auth
    if (parts.size() == 2 && parts[0] == u"auth"_s) {
        if (!post)
            return notAllowed();
        const QString action = parts[1];
        if (action != u"register"_s && action != u"login"_s && action != u"guest"_s)
            return notFound();
        auto body = jsonBody(request);
        if (!body && !(action == u"guest"_s && request.body().trimmed().isEmpty()))
            return responder(socket, 400)(body.error());
        const QJsonObject fields = body ? body.value() : QJsonObject();
        if (action == u"register"_s)
            return m_auth.registerUser(fields, responder(socket, 201));
        if (action == u"login"_s)
            return m_auth.login(fields, remote, responder(socket, 200));
        return m_auth.guest(fields, responder(socket, 200));
    }

    const Respond respond = responder(socket, 200);
    if (parts.size() == 1 && parts[0] == u"me"_s) {
        if (!get)
            return notAllowed();
        return withUser(request, respond, [respond](const UserInfo &u) {
            respond(QJsonObject {{u"user"_s, JsonCodec::encode(u)}});
        });
    }
    if (parts.size() == 1 && parts[0] == u"users"_s) {
        if (!get)
            return notAllowed();
        const QString query = QUrlQuery(request.url()).queryItemValue(u"query"_s, QUrl::FullyDecoded);
        return withUser(
            request, respond, [this, respond, query](const UserInfo &u) { m_contacts.searchUsers(u, query, respond); });
    }
    if (!parts.isEmpty() && parts[0] == u"files"_s) {
        if (parts.size() == 1 && post)
            return upload(request, socket);
        if (parts.size() == 2 && get) {
            const auto id = pathId(parts[1]);
            if (!id)
                return notFound();
            return download(request, socket, *id);
        }
        return parts.size() <= 2 ? notAllowed() : notFound();
    }
    if (parts.size() == 3 && parts[0] == u"admin"_s && parts[1] == u"push"_s && parts[2] == u"failures"_s) {
        if (!get)
            return notAllowed();
        return withUser(request, respond, [this, respond](const UserInfo &u) {
            if (auto refused = AdminService::refuseUnlessAdmin(u))
                return respond(*refused);
            m_push.failures(respond);
        });
    }
    if (parts.size() == 2 && parts[0] == u"push"_s && parts[1] == u"register"_s) {
        if (!post)
            return notAllowed();
        auto body = jsonBody(request);
        return withUser(request, respond, [this, respond, body](const UserInfo &u) {
            if (!body)
                return respond(body.error());
            m_push.registerDevice(u.id, body.value(), respond);
        });
    }
    if (parts.size() == 2 && parts[0] == u"admin"_s) {
        const QString what = parts[1];
        if (what != u"stats"_s && what != u"connections"_s && what != u"kick"_s)
            return notFound();
        if ((what == u"kick"_s) != post || (what != u"kick"_s && !get))
            return notAllowed();
        auto body = what == u"kick"_s ? jsonBody(request) : Result<QJsonObject>(QJsonObject());
        return withUser(request, respond, [this, respond, what, body](const UserInfo &u) {
            if (auto refused = AdminService::refuseUnlessAdmin(u))
                return respond(*refused);
            if (what == u"stats"_s)
                return respond(JsonCodec::encode(m_admin.stats()));
            if (what == u"connections"_s)
                return respond(m_admin.connections());
            if (!body)
                return respond(body.error());
            m_admin.kick(body.value(), respond);
        });
    }
    if (parts.size() >= 1 && parts[0] == u"support"_s) {
        // HTTP mirrors of the support requests, for bots and the web widget.
        if (parts.size() == 2 && parts[1] == u"queue"_s && get)
            return withUser(request, respond, [this, respond](const UserInfo &u) { m_support.queue(u, respond); });
        if (parts.size() == 2 && parts[1] == u"open"_s && post) {
            auto body = request.body().trimmed().isEmpty() ? Result<QJsonObject>(QJsonObject()) : jsonBody(request);
            return withUser(request, respond, [this, respond, body](const UserInfo &u) {
                if (!body)
                    return respond(body.error());
                m_support.open(u, body.value(), respond);
            });
        }
        return notFound();
    }
    if (!parts.isEmpty() && parts[0] == u"contacts"_s) {
        if (parts.size() == 1 && get)
            return withUser(request, respond, [this, respond](const UserInfo &u) { m_contacts.list(u, respond); });
        if (parts.size() == 1 && post) {
            auto body = jsonBody(request);
            return withUser(request, respond, [this, respond, body](const UserInfo &u) {
                if (!body)
                    return respond(body.error());
                m_contacts.add(u, body.value(), respond);
            });
        }
        if (parts.size() == 2 && method == QHttpServerRequest::Method::Delete) {
            const auto id = pathId(parts[1]);
            return withUser(request, respond, [this, respond, id](const UserInfo &u) {
                if (!id)
                    return respond(ProtocolError::make(ErrorCode::NotFound, u"Not in your contacts"_s));
                m_contacts.remove(u, QJsonObject {{u"user_id"_s, double(*id)}}, respond);
            });
        }
        return parts.size() <= 2 ? notAllowed() : notFound();
    }
    if (!parts.isEmpty() && parts[0] == u"conversations"_s) {
        if (parts.size() == 1 && post) {
            auto body = jsonBody(request);
            return withUser(request, respond, [this, respond, body](const UserInfo &u) {
                if (!body)
                    return respond(body.error());
                m_groups.create(u, body.value(), respond);
            });
        }
        if (parts.size() == 1) {
            if (!get)
                return notAllowed();
            return withUser(request, respond, [this, respond](const UserInfo &u) { m_chat.conversations(u, respond); });
        }
        if (parts.size() > 3)
            return notFound();
        const auto id = pathId(parts[1]);
        const QString sub = parts.size() == 3 ? parts[2] : QString();
        if (!sub.isEmpty() && sub != u"messages"_s && sub != u"read"_s)
            return notFound();
        if (!id) {
            return withUser(request, respond, [respond](const UserInfo &) {
                respond(ProtocolError::make(ErrorCode::NotFound, u"Conversation not found"_s));
            });
        }
        const qint64 cid = *id;
        if (sub.isEmpty()) {
            if (!get)
                return notAllowed();
            return withUser(
                request, respond, [this, respond, cid](const UserInfo &u) { m_chat.conversation(u, cid, respond); });
        }
        if (sub == u"messages"_s && get) {
            auto fields = numericQuery(QUrlQuery(request.url()), {"before_seq", "after_seq", "limit"});
            return withUser(request, respond, [this, respond, cid, fields](const UserInfo &u) {
                if (!fields)
                    return respond(fields.error());
                QJsonObject f = fields.value();
                f.insert(u"conversation_id"_s, double(cid));
                m_chat.history(u, f, respond);
            });
        }
        if (!post)
            return notAllowed();
        auto body = jsonBody(request);
        const bool read = sub == u"read"_s;
        return withUser(request, respond, [this, respond, cid, body, read](const UserInfo &u) {
            if (!body)
                return respond(body.error());
            QJsonObject f = body.value();
            f.remove(u"to"_s);
            f.insert(u"conversation_id"_s, double(cid));
            if (read)
                m_chat.markWatermark(u, f, true, respond);
            else
                m_chat.send(u, nullptr, f, [respond](Result<SendReceipt> r) {
                    respond(r ? Result<QJsonObject>(JsonCodec::encode(r.value())) : Result<QJsonObject>(r.error()));
                });
        });
    }
    notFound();
}

void RestApi::upload(const QHttpServerRequest &request, QTcpSocket *socket)
{
    const Respond respond = responder(socket, 201);
    // withUser may answer later, after `request` is gone: take what is needed now (QByteArray
    // copies share the data).
    const QByteArray body = request.body();
    const QByteArray contentType = request.value("content-type");
    const QString queryName = QUrlQuery(request.url()).queryItemValue(u"name"_s, QUrl::FullyDecoded);
    withUser(request, respond, [this, respond, body, contentType, queryName](const UserInfo &u) {
        // The multipart envelope may add a little to the limit; the file itself may not.
        constexpr qint64 kMultipartOverhead = 64 * 1024;
        if (body.size() > m_files.uploadLimit() + kMultipartOverhead)
            return respond(ProtocolError::make(ErrorCode::TooLarge, u"Upload larger than max_upload_bytes"_s));
        const QByteArray boundary = MultipartForm::boundary(contentType);
        if (boundary.isEmpty())
            return m_files.upload(u, body, queryName, respond);
        auto part = MultipartForm::extract(body, boundary, "file");
        if (!part)
            return respond(
                ProtocolError::make(ErrorCode::BadRequest, u"multipart/form-data body needs a 'file' part"_s));
        m_files.upload(u, part->data, part->fileName, respond);
    });
}

void RestApi::download(const QHttpServerRequest &request, QTcpSocket *socket, qint64 fileId)
{
    auto response = std::make_shared<HttpResponse>(socket);
    auto fail
        = [response](const ProtocolError &e) { response->send(RestError::httpStatus(e.code), RestError::body(e)); };
    auto serve = [response, fail](Result<FileService::Download> d) {
        if (!d)
            return fail(d.error());
        const FileRecord &f = d->file;
        const QByteArray encodedName = QUrl::toPercentEncoding(f.name);
        const QByteArray disposition
            = (d->inlineDisplay ? "inline" : "attachment") + QByteArray("; filename*=UTF-8''") + encodedName;
        response->send(200, d->data, f.mime.toLatin1(),
            {{"Content-Disposition", disposition}, {"X-Content-Type-Options", "nosniff"},
                {"Content-Security-Policy", "sandbox; default-src 'none'"}});
    };
    const QUrlQuery query(request.url());
    const QString sig = query.queryItemValue(u"sig"_s);
    if (!sig.isEmpty())
        return m_files.downloadSigned(fileId, query.queryItemValue(u"exp"_s), sig, serve);
    const Respond respond = [fail](Result<QJsonObject> r) {
        if (!r)
            fail(r.error());
    };
    withUser(request, respond, [this, fileId, serve](const UserInfo &u) { m_files.downloadFor(u, fileId, serve); });
}

} // namespace Switchboard::Server
