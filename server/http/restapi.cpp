#include "server/http/restapi.h"

#include <QDateTime>
#include <QHttpServerRequest>
#include <QFileInfo>
#include <QJsonArray>
#include <QMimeDatabase>
#include <QJsonDocument>
#include <QTcpSocket>
#include <QUrlQuery>
#include <memory>

#include "server/core/fileurlsigner.h"
#include "server/core/serverconfig.h"
#include "server/http/httpresponse.h"
#include "server/http/multipartform.h"
#include "server/services/filestore.h"
#include "server/services/pushdispatcher.h"
#include "server/http/resterror.h"
#include "server/services/adminservice.h"
#include "server/services/authservice.h"
#include "server/services/supportservice.h"
#include "server/services/chatservice.h"
#include "server/services/contactservice.h"
#include "server/services/groupservice.h"
#include "server/storage/storage.h"
#include "shared/protocol/jsoncodec.h"
#include "shared/protocol/requestfields.h"
#include "shared/protocol/textrules.h"

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

RestApi::RestApi(const Services &services, Storage &storage, const ServerConfig &config, QObject *parent)
    : QObject(parent), m_auth(services.auth), m_chat(services.chat), m_groups(services.groups),
      m_contacts(services.contacts), m_support(services.support), m_admin(services.admin), m_files(services.files),
      m_signer(services.signer), m_push(services.push), m_config(config), m_storage(storage)
{
}

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

void RestApi::withUser(const QHttpServerRequest &request, const Respond &respond,
                       std::function<void(const UserInfo &)> then)
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
    auto notAllowed = [socket] {
        HttpResponse(socket).send(405, RestError::body(badRequest(u"Method not allowed"_s)));
    };

    if (StaticAssets::handles(path))
        return m_assets.serve(request, socket);
    if (path == u"/healthz"_s) {
        if (!get)
            return notAllowed();
        const bool ok = m_storage.isAvailable();
        HttpResponse(socket).send(ok ? 200 : 503,
                                  JsonCodec::serialize(QJsonObject{{u"status"_s, ok ? u"ok"_s : u"unavailable"_s},
                                                                   {u"storage"_s, ok ? u"ok"_s : u"down"_s}}));
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
            respond(QJsonObject{{u"user"_s, JsonCodec::encode(u)}});
        });
    }
    if (parts.size() == 1 && parts[0] == u"users"_s) {
        if (!get)
            return notAllowed();
        const QString query = QUrlQuery(request.url()).queryItemValue(u"query"_s, QUrl::FullyDecoded);
        return withUser(request, respond, [this, respond, query](const UserInfo &) {
            if (query.size() > 64 || TextRules::hasControlCharacters(query))
                return respond(QJsonObject{{u"users"_s, QJsonArray()}});
            m_storage.searchUsers(query, 20, [respond](Result<QList<UserInfo>> r) {
                if (!r)
                    return respond(r.error());
                QJsonArray users;
                for (const UserInfo &u : r.value())
                    users.append(JsonCodec::encode(u));
                respond(QJsonObject{{u"users"_s, users}});
            });
        });
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
            if (!AdminService::isAdmin(u))
                return respond(ProtocolError::make(ErrorCode::Forbidden, u"Administrators only"_s));
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
            if (!AdminService::isAdmin(u))
                return respond(ProtocolError::make(ErrorCode::Forbidden, u"Administrators only"_s));
            if (what == u"stats"_s)
                return respond(m_admin.stats());
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
                m_contacts.remove(u, QJsonObject{{u"user_id"_s, double(*id)}}, respond);
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
            return withUser(request, respond, [this, respond, cid](const UserInfo &u) { m_chat.conversation(u, cid, respond); });
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

namespace {
// The name shown to others: the last path component, no control characters, bounded length.
// It is only ever a label; the bytes live under a server-chosen key.
QString sanitizedFileName(const QString &raw)
{
    QString name = raw;
    const qsizetype cut = std::max(name.lastIndexOf(u'/'), name.lastIndexOf(u'\\'));
    if (cut >= 0)
        name = name.mid(cut + 1);
    QString clean;
    for (QChar c : std::as_const(name)) {
        if (c.unicode() >= 0x20 && c.unicode() != 0x7f)
            clean.append(c);
    }
    clean = clean.trimmed();
    while (clean.startsWith(u'.'))
        clean.remove(0, 1);
    if (clean.size() > 200)
        clean = clean.right(200);
    return clean.isEmpty() ? u"file"_s : clean;
}

// The type comes from the bytes: magic numbers decide binary formats, and a name can only refine
// text (data.json is application/json) but never make text or unknown bytes into an image.
QString detectMime(const QString &name, const QByteArray &data)
{
    const QMimeDatabase db;
    const QMimeType byContent = db.mimeTypeForData(data);
    const bool text = byContent.name() == u"text/plain"_s || byContent.inherits(u"text/plain"_s);
    if (!text)
        return byContent.isDefault() ? u"application/octet-stream"_s : byContent.name();
    const QMimeType byName = db.mimeTypeForFile(name, QMimeDatabase::MatchExtension);
    if (byContent.name() == u"text/plain"_s && byName.inherits(u"text/plain"_s))
        return byName.name();
    return byContent.name();
}

bool isInlineImage(const QString &mime)
{
    return mime == u"image/png"_s || mime == u"image/jpeg"_s || mime == u"image/gif"_s || mime == u"image/webp"_s;
}
} // namespace

void RestApi::upload(const QHttpServerRequest &request, QTcpSocket *socket)
{
    const Respond respond = responder(socket, 201);
    // withUser may answer later, after `request` is gone: take what is needed now (QByteArray
    // copies share the data).
    const QByteArray body = request.body();
    const QByteArray contentType = request.value("content-type");
    const QString queryName = QUrlQuery(request.url()).queryItemValue(u"name"_s, QUrl::FullyDecoded);
    const qint64 limit = m_config.maxUploadBytes;
    constexpr qint64 kMultipartOverhead = 64 * 1024;
    withUser(request, respond, [this, respond, body, contentType, queryName, limit](const UserInfo &u) {
        if (body.size() > limit + kMultipartOverhead)
            return respond(ProtocolError::make(ErrorCode::TooLarge, u"Upload larger than max_upload_bytes"_s));
        QByteArray data;
        QString name;
        const QByteArray boundary = MultipartForm::boundary(contentType);
        if (!boundary.isEmpty()) {
            auto part = MultipartForm::extract(body, boundary, "file");
            if (!part)
                return respond(ProtocolError::make(ErrorCode::BadRequest, u"multipart/form-data body needs a 'file' part"_s));
            data = part->data;
            name = part->fileName;
        } else {
            data = body;
            name = queryName;
        }
        if (data.size() > limit)
            return respond(ProtocolError::make(ErrorCode::TooLarge, u"Upload larger than max_upload_bytes"_s));
        const QString display = sanitizedFileName(name);
        const QString mime = detectMime(display, data);
        const qint64 size = data.size();
        const qint64 ownerId = u.id;
        m_files.save(data, [this, respond, display, mime, size, ownerId](Result<QString> key) {
            if (!key)
                return respond(key.error());
            const FileRecord record{0, ownerId, display, mime, size, key.value(), QDateTime::currentMSecsSinceEpoch()};
            m_storage.createFile(record, [this, respond, key = key.value()](Result<FileRecord> r) {
                if (!r) {
                    m_files.remove(key); // nothing half-written stays behind
                    return respond(r.error());
                }
                respond(QJsonObject{{u"file_id"_s, double(r->id)},
                                    {u"name"_s, r->name},
                                    {u"size"_s, double(r->size)},
                                    {u"mime"_s, r->mime},
                                    {u"url"_s, m_signer.url(r->id)}});
            });
        });
    });
}

void RestApi::download(const QHttpServerRequest &request, QTcpSocket *socket, qint64 fileId)
{
    auto response = std::make_shared<HttpResponse>(socket);
    auto fail = [response](const ProtocolError &e) { response->send(RestError::httpStatus(e.code), RestError::body(e)); };
    auto serve = [this, response, fail](const FileRecord &f) {
        m_files.load(f.storageKey, [response, fail, f](Result<QByteArray> data) {
            if (!data)
                return fail(data.error());
            const QByteArray encodedName = QUrl::toPercentEncoding(f.name);
            // Only plain images render inline; anything else downloads, so an uploaded HTML or
            // SVG file can never run script on this origin.
            const QByteArray disposition = (isInlineImage(f.mime) ? "inline" : "attachment")
                                           + QByteArray("; filename*=UTF-8''") + encodedName;
            response->send(200, data.value(), f.mime.toLatin1(),
                           {{"Content-Disposition", disposition},
                            {"X-Content-Type-Options", "nosniff"},
                            {"Content-Security-Policy", "sandbox; default-src 'none'"}});
        });
    };
    const QUrlQuery query(request.url());
    const QString sig = query.queryItemValue(u"sig"_s);
    if (!sig.isEmpty()) {
        if (!m_signer.verify(fileId, query.queryItemValue(u"exp"_s), sig))
            return fail(ProtocolError::make(ErrorCode::Forbidden, u"Invalid or expired file link"_s));
        m_storage.file(fileId, [serve, fail](Result<FileRecord> r) {
            if (!r)
                return fail(r.error());
            serve(r.value());
        });
        return;
    }
    const Respond respond = [fail](Result<QJsonObject> r) {
        if (!r)
            fail(r.error());
    };
    withUser(request, respond, [this, fileId, serve, fail](const UserInfo &u) {
        m_storage.fileForUser(u.id, fileId, [serve, fail](Result<FileRecord> r) {
            if (!r)
                return fail(r.error());
            serve(r.value());
        });
    });
}

} // namespace Switchboard::Server
