#include <QDir>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

#include "server/base/serverconfig.h"
#include "server/security/fileurlsigner.h"
#include "server/services/fileservice.h"
#include "server/storage/filestore.h"
#include "tests/services/awaitresult.h"
#include "tests/services/fakefilerecordstore.h"
#include "tests/support/testprinters.h"

using namespace Qt::StringLiterals;
using namespace Switchboard;
using namespace Switchboard::Server;
using namespace Switchboard::Tests;

// FileService in-process: the upload policy (limit, name, type by content, nothing half-written)
// and who may download what, against a test double of the file records and a real blob directory.
class TstFileService : public QObject
{
    Q_OBJECT

    struct Fixture
    {
        QTemporaryDir dir;
        FakeFileRecordStore records;
        FileStore blobs {dir.path()};
        FileUrlSigner signer {QByteArray(32, 's'), 3600};
        ServerConfig config;
        FileService files {records, blobs, signer, config};

        Fixture()
        {
            QString error;
            blobs.prepare(&error);
            records.createFileCall.answer([](const FileRecord &f) {
                FileRecord stored = f;
                stored.id = 41;
                return Result<FileRecord>(stored);
            });
        }
        int blobCount() const { return int(QDir(dir.path()).entryList(QDir::Files | QDir::NoDotAndDotDot).size()); }
        std::optional<Result<QJsonObject>> upload(const QByteArray &data, const QString &name)
        {
            return awaitResult<QJsonObject>([&](auto done) {
                files.upload(UserInfo {3, u"u"_s, u"U"_s, u"user"_s}, data, name, done);
            });
        }
    };

    static QByteArray png()
    {
        return QByteArray::fromHex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                                   "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44"
                                   "ae426082");
    }

private slots:
    void anUploadOverTheLimitStoresNothing()
    {
        Fixture f;
        f.config.maxUploadBytes = 10;
        const auto r = f.upload(QByteArray(11, 'x'), u"big.bin"_s);
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::TooLarge);
        QCOMPARE(f.records.createFileCall.calls(), 0);
        QCOMPARE(f.blobCount(), 0);
    }

    void theTypeComesFromTheBytesAndTheNameIsALabel()
    {
        Fixture f;
        auto r = f.upload(png(), u"../../etc/holiday.txt"_s);
        QVERIFY(r && r->ok());
        const FileRecord stored = std::get<0>(f.records.createFileCall.lastArguments());
        QCOMPARE(stored.ownerId, 3);
        QCOMPARE(stored.name, u"holiday.txt"_s);
        QCOMPARE(stored.mime, u"image/png"_s);
        QCOMPARE(stored.size, png().size());
        QVERIFY(!stored.storageKey.contains(u"holiday"_s)); // the server chooses the key
        QCOMPARE(r->value().value(u"file_id"_s).toInteger(), 41);
        QVERIFY(r->value().value(u"url"_s).toString().startsWith(u"/api/v1/files/41?"_s));
        QCOMPARE(f.blobCount(), 1);

        r = f.upload("<html><script>alert(1)</script></html>", u"pic.png"_s);
        QVERIFY(r && r->ok());
        QVERIFY(!std::get<0>(f.records.createFileCall.lastArguments()).mime.startsWith(u"image/"_s));
        r = f.upload("plain", u"\u0001\u0002..."_s);
        QVERIFY(r && r->ok());
        QCOMPARE(std::get<0>(f.records.createFileCall.lastArguments()).name, u"file"_s);
    }

    void aFailedRecordRemovesTheBlob()
    {
        Fixture f;
        f.records.createFileCall.answerWith(ProtocolError::make(ErrorCode::Unavailable, u"Storage unavailable"_s));
        const auto r = f.upload(png(), u"x.png"_s);
        QVERIFY(r && !r->ok());
        SB_COMPARE_CODE(r->error().code, ErrorCode::Unavailable);
        QTRY_COMPARE_WITH_TIMEOUT(f.blobCount(), 0, 5000); // removed on the store's pool
    }

    void downloads()
    {
        Fixture f;
        QVERIFY(f.upload(png(), u"x.png"_s)->ok());
        FileRecord stored = std::get<0>(f.records.createFileCall.lastArguments());
        stored.id = 41;
        f.records.fileCall.answerWith(stored);
        f.records.fileForUserCall.answerWith(stored);

        // A forged or expired link is refused before storage is asked.
        auto d = awaitResult<FileService::Download>(
            [&](auto done) { f.files.downloadSigned(41, u"99999999999"_s, u"forged"_s, done); });
        QVERIFY(d && !d->ok());
        SB_COMPARE_CODE(d->error().code, ErrorCode::Forbidden);
        QCOMPARE(f.records.fileCall.calls(), 0);

        const QUrlQuery link(QUrl(f.signer.url(41)).query());
        d = awaitResult<FileService::Download>([&](auto done) {
            f.files.downloadSigned(41, link.queryItemValue(u"exp"_s), link.queryItemValue(u"sig"_s), done);
        });
        QVERIFY(d && d->ok());
        QCOMPARE(d->value().data, png());
        QVERIFY(d->value().inlineDisplay);

        // By account: storage decides the relation (uploader or recipient); what it is shown as
        // is the service's, and anything but the inline image types downloads as an attachment.
        stored.mime = u"image/svg+xml"_s;
        f.records.fileForUserCall.answerWith(stored);
        d = awaitResult<FileService::Download>([&](auto done) {
            f.files.downloadFor(UserInfo {5, {}, {}, u"user"_s}, 41, done);
        });
        QVERIFY(d && d->ok());
        QVERIFY(!d->value().inlineDisplay);
        QCOMPARE(std::get<0>(f.records.fileForUserCall.lastArguments()), 5);
        f.records.fileForUserCall.answerWith(
            ProtocolError::make(ErrorCode::Forbidden, u"You have no access to this file"_s));
        d = awaitResult<FileService::Download>([&](auto done) {
            f.files.downloadFor(UserInfo {6, {}, {}, u"user"_s}, 41, done);
        });
        QVERIFY(d && !d->ok());
        SB_COMPARE_CODE(d->error().code, ErrorCode::Forbidden);
    }
};

QTEST_GUILESS_MAIN(TstFileService)
#include "tst_fileservice.moc"
