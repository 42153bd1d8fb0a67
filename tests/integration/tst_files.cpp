#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

#include "tests/support/integrationtest.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Test;
using namespace Switchboard::Test::It;

// Files (PROTOCOL.md section 8): multipart and raw uploads, max_upload_bytes (413), content
// checks for image messages, names that try to escape the store, signed expiring URLs that work
// without headers, and access for the uploader and participants only.
class TestFiles : public QObject
{
    Q_OBJECT

private:
    // A valid 1x1 RGBA PNG.
    static QByteArray png()
    {
        return QByteArray::fromHex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                                   "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44"
                                   "ae426082");
    }

    // A 1x1 24-bit BMP (BITMAPINFOHEADER, one padded row).
    static QByteArray bmp()
    {
        return QByteArray::fromHex("424d3a000000000000003600000028000000010000000100000001001800000000"
                                   "000400000000000000000000000000000000000000ff000000");
    }

    static QByteArray multipart(const QByteArray &boundary, const QByteArray &fileName, const QByteArray &data,
        const QByteArray &type = "application/octet-stream")
    {
        QByteArray body;
        body += "--" + boundary + "\r\n";
        body += "Content-Disposition: form-data; name=\"comment\"\r\n\r\nignored\r\n";
        body += "--" + boundary + "\r\n";
        body += "Content-Disposition: form-data; name=\"file\"; filename=\"" + fileName + "\"\r\n";
        body += "Content-Type: " + type + "\r\n\r\n";
        body += data + "\r\n";
        body += "--" + boundary + "--\r\n";
        return body;
    }

    // GET on a URL (absolute or server-relative) with no headers at all, like an <img src>.
    struct Download
    {
        int status = 0;
        QByteArray body;
        QByteArray contentType;
        QByteArray disposition;
    };
    static Download fetch(const ServerProcess &server, const QString &url)
    {
        QNetworkAccessManager manager;
        QNetworkRequest request(server.httpUrl().resolved(QUrl(url)));
        request.setTransferTimeout(30000);
        QNetworkReply *reply = manager.get(request);
        QSignalSpy done(reply, &QNetworkReply::finished);
        if (!reply->isFinished())
            done.wait(30000);
        Download d;
        d.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        d.body = reply->readAll();
        d.contentType = reply->rawHeader("Content-Type");
        d.disposition = reply->rawHeader("Content-Disposition");
        reply->deleteLater();
        return d;
    }

    static QString withQuery(const QString &url, const QString &key, const QString &value)
    {
        QUrl u(url);
        QUrlQuery q(u);
        q.removeAllQueryItems(key);
        q.addQueryItem(key, value);
        u.setQuery(q);
        return u.toString();
    }

private slots:
    // Every test function runs on SQLite and on PostgreSQL.
    void initTestCase_data() { TestDatabase::backends(); }

    void uploadsAndTheDatabaseAreTheServersOnly()
    {
        // Issue 12, item 8: the database (which holds the JWT secret) and the uploads were
        // created world-readable. Now 0600 files in a 0700 directory, also for a database that
        // an older server created readable for everyone.
        SB_TEST_DATABASE(db);
        const QFileDevice::Permissions others = QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup
            | QFile::ReadOther | QFile::WriteOther | QFile::ExeOther;
        const bool sqlite = db.url().startsWith(u"sqlite:"_s);
        QTemporaryDir filesDir;
        QVERIFY(filesDir.isValid());
        const QString files = filesDir.filePath(u"uploads"_s);
        if (sqlite) {
            // A database left readable by an older server: tightened at start.
            QFile old(db.url().mid(7));
            QVERIFY(old.open(QIODevice::WriteOnly));
            old.close();
            QVERIFY(old.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup | QFile::ReadOther));
        }
        IT_SERVER(server, db);
        server.setConfigValue(u"server"_s, u"files_dir"_s, files);
        IT_START(server);
        IT_USER(ann, server, "ann");
        auto rest = restFor(server, &ann);
        IT_HTTP_STATUS(up, rest->uploadFile(png(), u"p.png"_s, "image/png"), 201);
        QVERIFY2(!(QFileInfo(files).permissions() & others), "the upload directory is open to others");
        const QStringList blobs = QDir(files).entryList(QDir::Files);
        QCOMPARE(blobs.size(), 1);
        QVERIFY2(
            !(QFileInfo(QDir(files).filePath(blobs.first())).permissions() & others), "an upload is open to others");
        if (sqlite) {
            for (const QString &suffix : {QString(), u"-wal"_s}) {
                const QFileInfo file(db.url().mid(7) + suffix);
                QVERIFY2(file.exists(), qPrintable(file.filePath()));
                QVERIFY2(!(file.permissions() & others), qPrintable(file.filePath() + u" is open to others"_s));
            }
        }
    }

    void uploadAndDownload()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        QTemporaryDir store;
        server.setConfigValue(u"server"_s, u"files_dir"_s, store.filePath(u"files"_s));
        IT_START(server);
        IT_USER(ann, server, "ann");
        auto rest = restFor(server, &ann);

        // Raw body with ?name=.
        IT_HTTP_STATUS(raw, rest->uploadFile(png(), u"pixel.png"_s, "image/png"), 201);
        const QJsonObject rawFile = raw->json();
        QVERIFY(intOf(rawFile, u"file_id"_s) > 0);
        QCOMPARE(rawFile.value(u"name"_s).toString(), u"pixel.png"_s);
        QCOMPARE(intOf(rawFile, u"size"_s), png().size());
        QCOMPARE(rawFile.value(u"mime"_s).toString(), u"image/png"_s);
        QVERIFY(!rawFile.value(u"url"_s).toString().isEmpty());

        // multipart/form-data with a `file` part (other parts ignored).
        const QByteArray text = "plain text, multipart\n";
        IT_HTTP_STATUS(mp,
            rest->sendRequest("POST", u"/api/v1/files"_s, multipart("XyZ-b0undary", "notes.txt", text),
                "multipart/form-data; boundary=XyZ-b0undary"),
            201);
        const QJsonObject mpFile = mp->json();
        QCOMPARE(mpFile.value(u"name"_s).toString(), u"notes.txt"_s);
        QCOMPARE(intOf(mpFile, u"size"_s), text.size());
        QVERIFY(mpFile.value(u"mime"_s).toString().startsWith(u"text/plain"_s));
        QVERIFY(intOf(mpFile, u"file_id"_s) != intOf(rawFile, u"file_id"_s));
        IT_HTTP_STATUS(noPart,
            rest->sendRequest("POST", u"/api/v1/files"_s,
                "--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n",
                "multipart/form-data; boundary=b"),
            400);

        // The url works without any header; the bytes come back as they went in.
        Download d = fetch(server, rawFile.value(u"url"_s).toString());
        QCOMPARE(d.status, 200);
        QCOMPARE(d.body, png());
        QVERIFY(d.contentType.startsWith("image/png"));
        d = fetch(server, mpFile.value(u"url"_s).toString());
        QCOMPARE(d.status, 200);
        QCOMPARE(d.body, text);
        // With the uploader's Bearer token and no signature, too.
        IT_HTTP_STATUS(bearer, rest->get(u"/api/v1/files/%1"_s.arg(intOf(rawFile, u"file_id"_s))), 200);
        QCOMPARE(bearer->body(), png());

        // Uploads need a token.
        auto anonymous = restFor(server);
        IT_HTTP_STATUS(noToken, anonymous->uploadFile(png(), u"x.png"_s, "image/png"), 401);
        // Downloads without token or signature are refused, unknown files are 404.
        IT_HTTP_STATUS(noAuth, anonymous->get(u"/api/v1/files/%1"_s.arg(intOf(rawFile, u"file_id"_s))), 401);
        QVERIFY(!noAuth->body().contains(png()));
        IT_HTTP_STATUS(unknown, rest->get(u"/api/v1/files/999999999"_s), 404);

        // Bytes live in the configured store under server-chosen names only.
        const QStringList stored = QDir(store.filePath(u"files"_s)).entryList(QDir::Files | QDir::Hidden);
        QCOMPARE(stored.size(), 2);
        for (const QString &name : stored)
            QVERIFY2(QRegularExpression(u"^[0-9a-f]{32}$"_s).match(name).hasMatch(), qPrintable(name));
    }

    void maxUploadBytes()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        QTemporaryDir store;
        server.setConfigValue(u"server"_s, u"files_dir"_s, store.filePath(u"files"_s));
        server.setLimits({{u"max_upload_bytes"_s, u"1000"_s}});
        IT_START(server);
        IT_USER(ann, server, "ann");
        auto rest = restFor(server, &ann);

        IT_HTTP_STATUS(atLimit, rest->uploadFile(QByteArray(1000, 'a'), u"a.txt"_s, "text/plain"), 201);
        QCOMPARE(intOf(atLimit->json(), u"size"_s), 1000);
        IT_HTTP_STATUS(over, rest->uploadFile(QByteArray(1001, 'a'), u"b.txt"_s, "text/plain"), 413);
        SB_COMPARE_CODE(over->error().code, ErrorCode::TooLarge);
        IT_HTTP_STATUS(mpAt,
            rest->sendRequest("POST", u"/api/v1/files"_s, multipart("bnd", "c.txt", QByteArray(1000, 'c')),
                "multipart/form-data; boundary=bnd"),
            201);
        IT_HTTP_STATUS(mpOver,
            rest->sendRequest("POST", u"/api/v1/files"_s, multipart("bnd", "d.txt", QByteArray(1001, 'd')),
                "multipart/form-data; boundary=bnd"),
            413);
        SB_COMPARE_CODE(mpOver->error().code, ErrorCode::TooLarge);
        // A big body is refused too (and the server survives it).
        IT_HTTP(huge, rest->uploadFile(QByteArray(2 * 1024 * 1024, 'h'), u"huge.bin"_s, "application/octet-stream"));
        QVERIFY2(huge->status() == 413 || huge->status() == 0, qPrintable(describeReply(huge)));
        // Nothing of the refused uploads was kept.
        QCOMPARE(QDir(store.filePath(u"files"_s)).entryList(QDir::Files).size(), 2);
        IT_HTTP_STATUS(health, rest->get(u"/healthz"_s), 200);
    }

    void imageMessagesNeedRealImages()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        QTemporaryDir store;
        server.setConfigValue(u"server"_s, u"files_dir"_s, store.filePath(u"files"_s));
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_CONNECT(annC, server, ann);
        IT_OK(first, annC->sendTextTo(bob.id, u"files coming"_s));
        const qint64 cid = intOf(first->data(), u"conversation_id"_s);
        auto rest = restFor(server, &ann);

        IT_HTTP_STATUS(image, rest->uploadFile(png(), u"photo.png"_s, "image/png"), 201);
        const qint64 imageId = intOf(image->json(), u"file_id"_s);
        IT_OK(sentImage, annC->sendAttachment(cid, u"image"_s, imageId, u"a caption"_s));
        IT_OK(h, annC->history(cid));
        const QJsonObject stored = h->data().value(u"messages"_s).toArray().last().toObject();
        QCOMPARE(stored.value(u"type"_s).toString(), u"image"_s);
        QCOMPARE(stored.value(u"content"_s).toString(), u"a caption"_s);
        const QJsonObject attachment = stored.value(u"attachment"_s).toObject();
        QCOMPARE(intOf(attachment, u"file_id"_s), imageId);
        QCOMPARE(attachment.value(u"name"_s).toString(), u"photo.png"_s);
        QCOMPARE(intOf(attachment, u"size"_s), png().size());
        QCOMPARE(attachment.value(u"mime"_s).toString(), u"image/png"_s);
        QCOMPARE(fetch(server, attachment.value(u"url"_s).toString()).body, png());

        // A PNG without a name is still recognised by its bytes.
        IT_HTTP_STATUS(nameless, rest->uploadFile(png(), QString(), "application/octet-stream"), 201);
        QCOMPARE(nameless->json().value(u"mime"_s).toString(), u"image/png"_s);
        IT_OK(sentNameless, annC->sendAttachment(cid, u"image"_s, intOf(nameless->json(), u"file_id"_s)));

        // Text is not an image, whatever its name says ("checked by content, not by name").
        IT_HTTP_STATUS(txt, rest->uploadFile("just some text\n", u"notes.txt"_s, "text/plain"), 201);
        IT_FAILS(annC->sendAttachment(cid, u"image"_s, intOf(txt->json(), u"file_id"_s)), ValidationFailed);
        IT_OK(asFile, annC->sendAttachment(cid, u"file"_s, intOf(txt->json(), u"file_id"_s)));
        IT_HTTP_STATUS(fake, rest->uploadFile("this is text, not a PNG\n", u"x.png"_s, "image/png"), 201);
        IT_FAILS(annC->sendAttachment(cid, u"image"_s, intOf(fake->json(), u"file_id"_s)), ValidationFailed);
        // Nor is a text file posing as one in a multipart upload.
        IT_HTTP_STATUS(fakeMp,
            rest->sendRequest("POST", u"/api/v1/files"_s,
                multipart("bnd", "y.png", "<html>not an image</html>", "image/png"),
                "multipart/form-data; boundary=bnd"),
            201);
        IT_FAILS(annC->sendAttachment(cid, u"image"_s, intOf(fakeMp->json(), u"file_id"_s)), ValidationFailed);
        // A BMP is a raster image but not one of the inline types (MediaTypes, the same list
        // that decides inline downloads): it travels as a `file`, never as an `image`.
        IT_HTTP_STATUS(bmpFile, rest->uploadFile(bmp(), u"pixel.bmp"_s, "image/bmp"), 201);
        QCOMPARE(bmpFile->json().value(u"mime"_s).toString(), u"image/bmp"_s);
        IT_FAILS(annC->sendAttachment(cid, u"image"_s, intOf(bmpFile->json(), u"file_id"_s)), ValidationFailed);
        IT_OK(bmpAsFile, annC->sendAttachment(cid, u"file"_s, intOf(bmpFile->json(), u"file_id"_s)));

        // A refused first message to someone new leaves nothing behind: no empty conversation
        // (neither for a non-image sent as an image nor for somebody else's file).
        IT_USER(cat, server, "cat");
        IT_USER(dan, server, "dan");
        const auto sendTo = [&](qint64 to, const QString &type, qint64 fileId) {
            return annC->request(u"message"_s,
                QJsonObject {{u"to"_s, double(to)}, {u"message_type"_s, type}, {u"content"_s, u""_s},
                    {u"attachment"_s, QJsonObject {{u"file_id"_s, double(fileId)}}}});
        };
        IT_FAILS(sendTo(cat.id, u"image"_s, intOf(txt->json(), u"file_id"_s)), ValidationFailed);
        IT_CONNECT(danC, server, dan);
        auto danRest = restFor(server, &dan);
        IT_HTTP_STATUS(dansFile, danRest->uploadFile(png(), u"dan.png"_s, "image/png"), 201);
        IT_FAILS(sendTo(cat.id, u"image"_s, intOf(dansFile->json(), u"file_id"_s)), Forbidden);
        IT_OK(list, annC->conversations());
        QCOMPARE(list->data().value(u"conversations"_s).toArray().size(), 1); // only the one with bob
        IT_CONNECT(catC, server, cat);
        IT_OK(catList, catC->conversations());
        QCOMPARE(catList->data().value(u"conversations"_s).toArray().size(), 0);
    }

    void namesCannotEscapeTheStore()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        QTemporaryDir root;
        const QString filesDir = root.filePath(u"a/b/files"_s);
        server.setConfigValue(u"server"_s, u"files_dir"_s, filesDir);
        IT_START(server);
        IT_USER(ann, server, "ann");
        auto rest = restFor(server, &ann);
        const QString tag = u"sbtrav%1"_s.arg(QDateTime::currentMSecsSinceEpoch());
        const QString absoluteTarget = root.filePath(tag + u"-abs.txt"_s);

        struct Case
        {
            QString name;
            QString expected;
        };
        const QList<Case> cases {
            {u"../../"_s + tag + u"-up.txt"_s, tag + u"-up.txt"_s},
            {u"../../../../../../../../tmp/"_s + tag + u"-deep.txt"_s, tag + u"-deep.txt"_s},
            {absoluteTarget, tag + u"-abs.txt"_s},
            {u"..\\..\\"_s + tag + u"-win.txt"_s, tag + u"-win.txt"_s},
            {u"C:\\Windows\\"_s + tag + u"-drive.txt"_s, tag + u"-drive.txt"_s},
            {u"a/../../"_s + tag + u"-mixed.txt"_s, tag + u"-mixed.txt"_s},
            {u".."_s, u"file"_s},
            {u"../"_s, u"file"_s},
            {u".htaccess"_s, u"htaccess"_s},
        };
        const QByteArray payload = "must stay inside the store\n";
        QList<qint64> ids;
        for (const Case &c : cases) {
            for (bool viaMultipart : {false, true}) {
                RestReply *r = viaMultipart ? rest->sendRequest("POST", u"/api/v1/files"_s,
                                   multipart("bnd", c.name.toUtf8(), payload), "multipart/form-data; boundary=bnd")
                                            : rest->uploadFile(payload, c.name, "text/plain");
                QVERIFY(waitForFinished(r, 30000));
                QVERIFY2(r->status() == 201, qPrintable(c.name + u": "_s + describeReply(r)));
                const QString name = r->json().value(u"name"_s).toString();
                QVERIFY2(!name.contains(u'/') && !name.contains(u'\\') && !name.startsWith(u'.'),
                    qPrintable(c.name + u" -> "_s + name));
                QCOMPARE(name, c.expected);
                ids.append(intOf(r->json(), u"file_id"_s));
                const Download d = fetch(server, r->json().value(u"url"_s).toString());
                QCOMPARE(d.status, 200);
                QCOMPARE(d.body, payload);
                QVERIFY2(d.disposition.contains(QUrl::toPercentEncoding(name)), d.disposition.constData());
            }
        }
        // Nothing was written outside the store: no file carrying the tag anywhere under the
        // temporary root, in /tmp or in the working directory, and the store holds only
        // server-chosen names.
        for (const QString &dir : {root.path(), QDir::tempPath(), QDir::currentPath()}) {
            QDirIterator it(dir, QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot,
                dir == root.path() ? QDirIterator::Subdirectories : QDirIterator::NoIteratorFlags);
            while (it.hasNext()) {
                const QString path = it.next();
                QVERIFY2(!path.contains(tag), qPrintable(u"written outside the store: "_s + path));
            }
        }
        QVERIFY(!QFile::exists(absoluteTarget));
        QCOMPARE(QDir(root.filePath(u"a"_s)).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
            QStringList {u"b"_s});
        QCOMPARE(QDir(root.filePath(u"a/b"_s)).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot),
            QStringList {u"files"_s});
        const QStringList stored = QDir(filesDir).entryList(QDir::AllEntries | QDir::Hidden | QDir::NoDotAndDotDot);
        QCOMPARE(stored.size(), ids.size());
        for (const QString &name : stored)
            QVERIFY2(QRegularExpression(u"^[0-9a-f]{32}$"_s).match(name).hasMatch(), qPrintable(name));
    }

    void signedUrls()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        QTemporaryDir store;
        server.setConfigValue(u"server"_s, u"files_dir"_s, store.filePath(u"files"_s));
        IT_START(server);
        IT_USER(ann, server, "ann");
        auto rest = restFor(server, &ann);
        IT_HTTP_STATUS(a, rest->uploadFile(png(), u"a.png"_s, "image/png"), 201);
        IT_HTTP_STATUS(b, rest->uploadFile("secret b\n", u"b.txt"_s, "text/plain"), 201);
        const QString urlA = a->json().value(u"url"_s).toString();
        const QString urlB = b->json().value(u"url"_s).toString();
        const qint64 idB = intOf(b->json(), u"file_id"_s);
        QCOMPARE(fetch(server, urlA).status, 200);

        const QUrlQuery qa {QUrl(urlA)};
        const QString sigA = qa.queryItemValue(u"sig"_s);
        const QString expA = qa.queryItemValue(u"exp"_s);
        QVERIFY(!sigA.isEmpty());
        QVERIFY(!expA.isEmpty());
        QString tampered = sigA;
        tampered[3] = tampered.at(3) == u'A' ? u'B' : u'A';
        const QStringList refused {
            withQuery(urlA, u"sig"_s, tampered), // tampered signature
            withQuery(urlA, u"sig"_s, sigA.left(sigA.size() - 2)), // truncated
            withQuery(urlA, u"exp"_s, QString::number(expA.toLongLong() + 3600)), // extended expiry
            u"/api/v1/files/%1?exp=%2&sig=%3"_s.arg(idB).arg(expA, sigA), // foreign signature
            withQuery(urlA, u"exp"_s, u"notanumber"_s),
            withQuery(urlA, u"sig"_s, u"x"_s),
        };
        for (const QString &url : refused) {
            const Download d = fetch(server, url);
            QVERIFY2(d.status == 403, qPrintable(url + u" -> "_s + QString::number(d.status)));
            QVERIFY(!d.body.contains(png()));
            QVERIFY(!d.body.contains("secret b"));
        }
        QCOMPARE(fetch(server, urlB).status, 200);
    }

    void expiredUrlsAreRefused()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        QTemporaryDir store;
        server.setConfigValue(u"server"_s, u"files_dir"_s, store.filePath(u"files"_s));
        server.setConfigValue(u"server"_s, u"file_url_ttl"_s, u"1"_s);
        IT_START(server);
        IT_USER(ann, server, "ann");
        auto rest = restFor(server, &ann);
        IT_HTTP_STATUS(up, rest->uploadFile(png(), u"a.png"_s, "image/png"), 201);
        const QString url = up->json().value(u"url"_s).toString();
        const qint64 exp = QUrlQuery(QUrl(url)).queryItemValue(u"exp"_s).toLongLong();
        QVERIFY(exp > 0 && exp <= QDateTime::currentSecsSinceEpoch() + 2);
        // An expiry is a point in time: let it pass, then the link is dead.
        QVERIFY(QTest::qWaitFor([&] { return QDateTime::currentSecsSinceEpoch() > exp + 1; }, 10000));
        const Download d = fetch(server, url);
        QCOMPARE(d.status, 403);
        QVERIFY(!d.body.contains(png()));
        // A fresh URL (history regenerates them) works again; Bearer access is unaffected.
        IT_HTTP_STATUS(bearer, rest->get(u"/api/v1/files/%1"_s.arg(intOf(up->json(), u"file_id"_s))), 200);
    }

    void accessForParticipantsOnly()
    {
        SB_TEST_DATABASE(db);
        IT_SERVER(server, db);
        QTemporaryDir store;
        server.setConfigValue(u"server"_s, u"files_dir"_s, store.filePath(u"files"_s));
        IT_START(server);
        IT_USER(ann, server, "ann");
        IT_USER(bob, server, "bob");
        IT_USER(eve, server, "eve");
        IT_CONNECT(annC, server, ann);
        IT_CONNECT(bobC, server, bob);
        IT_CONNECT(eveC, server, eve);
        auto annRest = restFor(server, &ann);
        auto bobRest = restFor(server, &bob);
        auto eveRest = restFor(server, &eve);
        const QByteArray secret = "ann's private document\n";
        IT_HTTP_STATUS(up, annRest->uploadFile(secret, u"doc.txt"_s, "text/plain"), 201);
        const qint64 fileId = intOf(up->json(), u"file_id"_s);
        const QString path = u"/api/v1/files/%1"_s.arg(fileId);

        // Before it is shared, only the uploader.
        IT_HTTP(bobBefore, bobRest->get(path));
        QVERIFY2(bobBefore->status() == 403 || bobBefore->status() == 404, qPrintable(describeReply(bobBefore)));
        QVERIFY(!bobBefore->body().contains(secret));
        // Nobody else may send it on either.
        IT_OK(chat, eveC->sendTextTo(bob.id, u"hi bob"_s));
        IT_FAILS(eveC->sendAttachment(intOf(chat->data(), u"conversation_id"_s), u"file"_s, fileId), Forbidden);

        // Shared with bob: bob may fetch it (Bearer, and the url from history without headers).
        IT_OK(first, annC->sendTextTo(bob.id, u"here it comes"_s));
        const qint64 cid = intOf(first->data(), u"conversation_id"_s);
        IT_OK(shared, annC->sendAttachment(cid, u"file"_s, fileId, u"the doc"_s));
        IT_HTTP_STATUS(bobAfter, bobRest->get(path), 200);
        QCOMPARE(bobAfter->body(), secret);
        IT_OK(h, bobC->history(cid));
        const QJsonObject message = h->data().value(u"messages"_s).toArray().last().toObject();
        const QString url = message.value(u"attachment"_s).toObject().value(u"url"_s).toString();
        QVERIFY(!url.isEmpty());
        const Download d = fetch(server, url);
        QCOMPARE(d.status, 200);
        QCOMPARE(d.body, secret);
        QVERIFY(d.disposition.startsWith("attachment")); // not rendered inline

        // eve, not a participant, gets nothing with her token.
        IT_HTTP(eveGet, eveRest->get(path));
        QVERIFY2(eveGet->status() == 403 || eveGet->status() == 404, qPrintable(describeReply(eveGet)));
        QVERIFY(!eveGet->body().contains(secret));
        IT_FAILS(eveC->history(cid), Forbidden);
        // A participant may forward it; then the new conversation's members may fetch it.
        IT_OK(bobToEve, bobC->sendTextTo(eve.id, u"hi eve"_s));
        IT_OK(forwarded, bobC->sendAttachment(intOf(bobToEve->data(), u"conversation_id"_s), u"file"_s, fileId));
        IT_HTTP_STATUS(eveAfter, eveRest->get(path), 200);
        QCOMPARE(eveAfter->body(), secret);
    }
};

QTEST_GUILESS_MAIN(TestFiles)
#include "tst_files.moc"
